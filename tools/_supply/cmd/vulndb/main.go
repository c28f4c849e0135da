// Command vulndb builds the offline Go vulnerability database that
// `govulncheck -db file://DIR` reads, from the OSV reports of the pinned
// golang.org/x/vulndb module version (see package vulndb and
// docs/security.md). Run it from tools/_supply:
//
//	go run ./cmd/vulndb -out /tmp/vulndb          # build from the pin in vulndb.pin
//	go run ./cmd/vulndb -refresh                  # pin the latest version
//	go run ./cmd/vulndb -osv DIR -snapshot T -out OUT   # build from a folder of OSV files
//
// It prints the source, the entry and module counts and the database's
// modified date (the snapshot's commit time), and warns when that date is
// more than -maxage old.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/bitnet-go/bitnet/tools/_supply/vulndb"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("vulndb", flag.ContinueOnError)
	pinFile := fs.String("pin", "vulndb.pin", "pin file naming the golang.org/x/vulndb version and hash")
	refresh := fs.Bool("refresh", false, "pin the latest golang.org/x/vulndb version in the -pin file (then build if -out is set)")
	osvDir := fs.String("osv", "", "build from this folder of OSV files instead of the pinned module (needs -snapshot)")
	snapshot := fs.String("snapshot", "", "with -osv: the RFC 3339 time given to entries whose modified time is zero")
	out := fs.String("out", "", "folder to write the database to (replaced whole)")
	maxAge := fs.Duration("maxage", 90*24*time.Hour, "warn when the database is older than this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("vulndb: unexpected arguments %q", fs.Args())
	}
	if *out == "" && !*refresh {
		return errors.New("vulndb: -out is required (or -refresh to update the pin)")
	}
	ctx := context.Background()
	var (
		dir  string
		when time.Time
		from string
	)
	switch {
	case *osvDir != "":
		t, err := time.Parse(time.RFC3339, *snapshot)
		if err != nil {
			return fmt.Errorf("vulndb: -snapshot %q: %w", *snapshot, err)
		}
		dir, when, from = *osvDir, t, *osvDir
	default:
		src, err := source(ctx, *pinFile, *refresh)
		if err != nil {
			return err
		}
		dir, when, from = src.OSVDir(), src.Commit, src.Pin.Module+"@"+src.Pin.Version
	}
	if *out == "" {
		return nil
	}
	db, err := vulndb.Load(os.DirFS(dir), when)
	if err != nil {
		return err
	}
	if err := db.Write(*out); err != nil {
		return err
	}
	fmt.Printf("vulndb: %s → %s: %s\n", from, *out, db.Summary())
	age := time.Since(db.Modified)
	fmt.Printf("vulndb: database date %s (%d days old)\n", db.Modified.Format("2006-01-02"), int(age.Hours()/24))
	if age > *maxAge {
		fmt.Printf("vulndb: warning: the database is older than %v; refresh it: cd tools/_supply && go run ./cmd/vulndb -refresh\n", *maxAge)
	}
	return nil
}

// source downloads the pinned vulndb module, or with refresh the latest
// one, whose pin it then writes.
func source(ctx context.Context, pinFile string, refresh bool) (vulndb.Source, error) {
	if refresh {
		src, err := vulndb.Download(ctx, "latest")
		if err != nil {
			return vulndb.Source{}, err
		}
		old, err := vulndb.ReadPin(pinFile)
		if err == nil && old == src.Pin {
			fmt.Printf("vulndb: %s already pins the latest version %s\n", pinFile, src.Pin.Version)
			return src, nil
		}
		if err := vulndb.WritePin(pinFile, src.Pin); err != nil {
			return vulndb.Source{}, err
		}
		fmt.Printf("vulndb: %s now pins %s (committed %s)\n", pinFile, src.Pin.Version, src.Commit.Format(time.RFC3339))
		return src, nil
	}
	pin, err := vulndb.ReadPin(pinFile)
	if err != nil {
		return vulndb.Source{}, err
	}
	return vulndb.DownloadPinned(ctx, pin)
}
