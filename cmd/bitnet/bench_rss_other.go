//go:build !unix

package main

import "os"

// peakRSS is not measured on this platform.
func peakRSS() int64 { return 0 }

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
