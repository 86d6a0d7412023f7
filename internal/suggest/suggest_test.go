package suggest

import "testing"

func TestClosest(t *testing.T) {
	known := []string{"offline", "config", "allowUnfree", "tests"}
	for word, want := range map[string]string{"ofline": "offline", "allowunfre": "allowUnfree", "test": "tests", "zzzzzz": "", "x": ""} {
		if got := Closest(word, known); got != want {
			t.Errorf("Closest(%q) = %q, want %q", word, got, want)
		}
	}
	if d := Distance("kitten", "sitting"); d != 3 {
		t.Errorf("Distance(kitten, sitting) = %d, want 3", d)
	}
}
