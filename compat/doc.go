// Package compat holds the compatibility suite: end-to-end tests that drive
// a real imsd through the official Huawei Cloud Go SDK
// (huaweicloud-sdk-go-v3) and assert the decoded fields. It has no
// non-test code besides this comment.
package compat
