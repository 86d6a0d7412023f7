// Package options holds the flags of machnix's commands, as ko's
// pkg/commands/options does: a struct per group of flags, the function
// that adds them to a command, and the conversion into the value the
// pipeline stage takes. The commands themselves only wire and print.
package options
