package ociimage

import (
	"archive/tar"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// goBuild builds pkg (run in dir) as a static binary into out.
func goBuild(t *testing.T, dir, out string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"build", "-trimpath", "-o", out}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", args, err, b)
	}
}

// TestImage assembles the image from freshly built binaries, writes and
// rereads the OCI layout, checks the config (and that the Dockerfile
// declares the same), and runs the bitnet binary extracted from the layer.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the bitnet binary")
	}
	tmp := t.TempDir()
	bitnet, probe := filepath.Join(tmp, "bitnet"), filepath.Join(tmp, "bitnet-probe")
	goBuild(t, "../..", bitnet, "-tags", "nocuda", "-ldflags", "-X main.version=v0.0.0-test", "./cmd/bitnet")
	goBuild(t, "..", probe, "./cmd/bitnet-probe")
	img, err := Build(bitnet, probe, "v0.0.0-test", runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "oci")
	if err := WriteLayout(dir, img, "bitnet:v0.0.0-test"); err != nil {
		t.Fatal(err)
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("index: %v, %d manifests, want 1", err, len(im.Manifests))
	}
	if got := im.Manifests[0].Annotations["org.opencontainers.image.ref.name"]; got != "bitnet:v0.0.0-test" {
		t.Errorf("ref name %q", got)
	}
	back, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := back.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if want := Config("v0.0.0-test"); !reflect.DeepEqual(cf.Config, want) {
		t.Errorf("config:\n got %+v\nwant %+v", cf.Config, want)
	}
	if cf.Config.User == "" || strings.HasPrefix(cf.Config.User, "0") || cf.OS != "linux" {
		t.Errorf("user %q os %q: want a non-root uid on linux", cf.Config.User, cf.OS)
	}
	checkDockerfile(t, cf.Config.Entrypoint, cf.Config.User, cf.Config.Env)
	out := extract(t, back, tmp)
	checkStatic(t, out)
	b, err := exec.Command(out, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(b)) != "bitnet v0.0.0-test" {
		t.Errorf("extracted bitnet version: %q, %v; want \"bitnet v0.0.0-test\"", b, err)
	}
}

// extract writes usr/local/bin/bitnet of the image's flattened file
// system into dir and returns its path.
func extract(t *testing.T, img v1.Image, dir string) string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatal("usr/local/bin/bitnet not in the image")
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != "usr/local/bin/bitnet" {
			continue
		}
		if h.Mode&0o111 == 0 {
			t.Errorf("%s mode %o: not executable", h.Name, h.Mode)
		}
		out := filepath.Join(dir, "extracted-bitnet")
		f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, tr); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return out
	}
}

// checkStatic fails when the binary asks for a dynamic loader, which a
// FROM scratch image does not have.
func checkStatic(t *testing.T, path string) {
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a PT_INTERP program header: not static", path)
		}
	}
}

// checkDockerfile checks that the repository's Dockerfile declares the
// same entrypoint, user and environment as Config.
func checkDockerfile(t *testing.T, entry []string, user string, env []string) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []string{
		`ENTRYPOINT ["` + strings.Join(entry, `", "`) + `"]`,
		"USER " + user,
		"FROM scratch",
		"-tags nocuda",
		`CMD ["/usr/local/bin/bitnet-probe", "http://127.0.0.1:8080/health"]`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q (the OCI config has it)", want)
		}
	}
	for _, e := range env {
		if !strings.Contains(df, e) {
			t.Errorf("Dockerfile lacks ENV %q", e)
		}
	}
}
