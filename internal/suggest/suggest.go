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

// Distance is the optimal string alignment distance of a and b, in bytes:
// Levenshtein's, with a swap of two adjacent letters counted as one edit,
// the commonest typo.
func Distance(a, b string) int { return Within(a, b, max(len(a), len(b))) }

// Within is Distance(a, b), or limit+1 as soon as the distance must exceed
// limit, so that a long list of candidates is cheap to scan.
func Within(a, b string, limit int) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
