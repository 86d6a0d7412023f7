package solver

import "math/bits"

// set is a subset of one package's states: bit i (i < n) is its i-th
// version, newest first, and bit n is "not installed". A positive term
// ("a in S") leaves the last bit clear; a negative one ("not a in S")
// sets it, since a package that is not installed satisfies it.
type set []uint64

func words(states int) int { return (states + 63) / 64 }

// fullSet holds every one of states states.
func fullSet(states int) set {
	s := make(set, words(states))
	for i := range s {
		s[i] = ^uint64(0)
	}
	if r := states % 64; r != 0 {
		s[len(s)-1] = 1<<r - 1
	}
	return s
}

func (s set) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }
func (s set) add(i int)      { s[i/64] |= 1 << (i % 64) }
func (s set) del(i int)      { s[i/64] &^= 1 << (i % 64) }

func (s set) clone() set { return append(set(nil), s...) }

func (s set) and(o set) set {
	c := make(set, len(s))
	for i := range s {
		c[i] = s[i] & o[i]
	}
	return c
}

func (s set) or(o set) set {
	c := make(set, len(s))
	for i := range s {
		c[i] = s[i] | o[i]
	}
	return c
}

// not is the complement within full.
func (s set) not(full set) set {
	c := make(set, len(s))
	for i := range s {
		c[i] = full[i] &^ s[i]
	}
	return c
}

// subsetOf reports whether every state of s is in o.
func (s set) subsetOf(o set) bool {
	for i := range s {
		if s[i]&^o[i] != 0 {
			return false
		}
	}
	return true
}

func (s set) disjoint(o set) bool {
	for i := range s {
		if s[i]&o[i] != 0 {
			return false
		}
	}
	return true
}

func (s set) empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

func (s set) equal(o set) bool {
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

func (s set) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}
