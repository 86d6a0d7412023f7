package testfixtures

import "time"

// fixedZipTime is the earliest time a zip header can hold; fixtures use it so
// their bytes do not depend on when they were made.
var fixedZipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
