//go:build !unix

package fetch

// noFollow has no equivalent here; clearNonRegular's check remains.
const noFollow = 0
