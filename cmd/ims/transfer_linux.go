package main

import "syscall"

// SyscallConn exposes the file descriptor, so net/http's TCP connection
// sends the upload with sendfile (zero copy), exactly as for an *os.File
// body.
func (b *uploadBody) SyscallConn() (syscall.RawConn, error) { return b.f.SyscallConn() }
