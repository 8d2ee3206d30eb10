// Package doccheck holds a test that reads the SDK's public packages and
// checks what every exported type's documentation must say: whether its
// zero value is usable and whether it is safe for concurrent use.
package doccheck
