package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newDiagnoseCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "diagnose WHEEL...|DIR",
		Short: "Report the native libraries wheels need and where each comes from",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("diagnose: not implemented yet")
		},
	}
}
