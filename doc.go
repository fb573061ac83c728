// Package imsd is the domain vocabulary of the image service: images, jobs,
// identities, the error model, and the storage interfaces every backend
// implements. It imports only the standard library; adapters live in
// sub-packages (store/..., blob/...), use cases in service, and the wire
// protocol in api/....
package imsd
