package vulndb

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Write lays the database out under dir (see the package comment),
// replacing whatever dir held. It builds the new tree in a temporary folder
// beside dir and renames it into place, so a failed or interrupted Write
// leaves the previous database intact.
func (db *DB) Write(dir string) (err error) {
	dir = filepath.Clean(dir)
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("vulndb: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("vulndb: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := db.writeTree(tmp); err != nil {
		return err
	}
	// MkdirTemp makes 0700; the database is for every user.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("vulndb: %w", err)
	}
	return replaceDir(tmp, dir)
}

// writeTree writes the index and entry files under root.
func (db *DB) writeTree(root string) error {
	for _, sub := range []string{"index", "ID"} {
		if err := os.Mkdir(filepath.Join(root, sub), 0o755); err != nil {
			return fmt.Errorf("vulndb: %w", err)
		}
	}
	meta := struct {
		Modified time.Time `json:"modified"`
	}{db.Modified.UTC()}
	index := []struct {
		name string
		v    any
	}{
		{"db.json", meta},
		{"modules.json", db.Modules()},
		{"vulns.json", db.Vulns()},
	}
	for _, f := range index {
		data, err := json.Marshal(f.v)
		if err != nil {
			return fmt.Errorf("vulndb: encoding index/%s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(root, "index", f.name), data, 0o644); err != nil {
			return fmt.Errorf("vulndb: %w", err)
		}
	}
	for _, e := range db.Entries {
		if err := os.WriteFile(filepath.Join(root, "ID", e.ID+".json"), e.raw, 0o644); err != nil {
			return fmt.Errorf("vulndb: %w", err)
		}
	}
	return nil
}

// replaceDir moves the folder tmp to dir: an existing dir is first renamed
// aside, then removed once tmp is in its place.
func replaceDir(tmp, dir string) error {
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("vulndb: moving the previous database aside: %w", err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return fmt.Errorf("vulndb: %w", err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("vulndb: removing the previous database: %w", err)
		}
	}
	return nil
}
