// Package suggest finds the known word a misspelt one was meant to be, for
// errors that say "did you mean ...?".
package suggest

import "strings"

// Closest is the candidate nearest to word by edit distance (ignoring
// case), when it is near enough: at most 2 edits, and fewer edits than
// word has letters. It is "" when none is.
func Closest(word string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := Distance(strings.ToLower(word), strings.ToLower(c)); d < bestD && d < len(word) {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is Levenshtein's distance between a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
