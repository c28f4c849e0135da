// Package ociimage assembles the bitnet container image without a Docker
// engine: one layer holding the static bitnet and bitnet-probe binaries
// (plus /etc/passwd and /etc/group naming the non-root user), an image
// config with the entrypoint, user, environment, labels and health check
// of the repository's Dockerfile, written as an OCI image layout.
package ociimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// User is the numeric uid:gid the image runs as (distroless's nonroot).
const User = "65532:65532"

// Config returns the image config that the Dockerfile also declares.
func Config(version string) v1.Config {
	return v1.Config{
		Entrypoint:   []string{"/usr/local/bin/bitnet"},
		Cmd:          []string{"serve"},
		User:         User,
		Env:          []string{"BITNET_SERVER_ADDR=0.0.0.0:8080", "BITNET_TELEMETRY_LOG_FORMAT=json"},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":   "bitnet",
			"org.opencontainers.image.version": version,
			"org.opencontainers.image.source":  "https://github.com/bitnet-go/bitnet",
		},
		Healthcheck: &v1.HealthConfig{
			Test:     []string{"CMD", "/usr/local/bin/bitnet-probe", "http://127.0.0.1:8080/health"},
			Interval: 10 * time.Second, Timeout: 3 * time.Second, StartPeriod: 30 * time.Second, Retries: 3,
		},
	}
}

// Build returns the image with the binaries at bitnetPath and probePath.
func Build(bitnetPath, probePath, version, arch string) (v1.Image, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"etc/", "usr/", "usr/local/", "usr/local/bin/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755}); err != nil {
			return nil, err
		}
	}
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{"etc/passwd", 0o644, []byte("nonroot:x:65532:65532:nonroot:/:/sbin/nologin\n")},
		{"etc/group", 0o644, []byte("nonroot:x:65532:\n")},
	}
	for _, b := range []struct{ name, path string }{{"usr/local/bin/bitnet", bitnetPath}, {"usr/local/bin/bitnet-probe", probePath}} {
		data, err := os.ReadFile(b.path)
		if err != nil {
			return nil, fmt.Errorf("ociimage: %w", err)
		}
		files = append(files, struct {
			name string
			mode int64
			data []byte
		}{b.name, 0o755, data})
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	raw := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("ociimage: layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		return nil, fmt.Errorf("ociimage: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Config = "linux", arch, Config(version)
	return mutate.ConfigFile(img, cf)
}

// WriteLayout writes img as an OCI image layout at dir, tagged ref: into
// a temporary folder beside dir, renamed into place when complete.
func WriteLayout(dir string, img v1.Image, ref string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".oci-*")
	if err != nil {
		return fmt.Errorf("ociimage: %w", err)
	}
	defer os.RemoveAll(tmp)
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return fmt.Errorf("ociimage: layout %s: %w", tmp, err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref})); err != nil {
		return fmt.Errorf("ociimage: layout %s: %w", tmp, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}
