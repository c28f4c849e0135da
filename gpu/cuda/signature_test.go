package cuda

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// prototypeRE matches an extern "C" __global__ prototype: its name and
// parameter list (no parameter holds a parenthesis).
var prototypeRE = regexp.MustCompile(`extern "C" __global__ void\s+(?:__launch_bounds__\([^)]*\)\s*)?(\w+)\s*\(([^)]*)\)`)

// prototypes parses every kernel prototype of kernels/*.cu into its
// signature string (argPtr, argI32, argF32 per parameter).
func prototypes(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range Programs {
		b, err := kernelFS.ReadFile("kernels/" + p.File)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range prototypeRE.FindAllStringSubmatch(string(b), -1) {
			sig, err := paramKinds(m[2])
			if err != nil {
				t.Fatalf("%s: kernel %s: %v", p.File, m[1], err)
			}
			out[m[1]] = sig
		}
	}
	return out
}

// paramKinds turns a C parameter list into kind letters.
func paramKinds(params string) (string, error) {
	var sig []byte
	for _, prm := range strings.Split(params, ",") {
		f := strings.Fields(strings.ReplaceAll(prm, "*", " * "))
		switch {
		case strings.Contains(prm, "*"):
			sig = append(sig, argPtr)
		case len(f) == 2 && f[0] == "int":
			sig = append(sig, argI32)
		case len(f) == 2 && f[0] == "float":
			sig = append(sig, argF32)
		default:
			return "", fmt.Errorf("parameter %q: not a pointer, int or float", strings.TrimSpace(prm))
		}
	}
	return string(sig), nil
}

// compareSignatures lists every kernel whose declared Go signature differs
// from its prototype, or is missing on either side.
func compareSignatures(protos, sigs map[string]string) []string {
	var bad []string
	for name, proto := range protos {
		if sig, ok := sigs[name]; !ok {
			bad = append(bad, name+": no Go signature")
		} else if sig != proto {
			bad = append(bad, fmt.Sprintf("%s: Go signature %q, prototype %q", name, sig, proto))
		}
	}
	for name := range sigs {
		if _, ok := protos[name]; !ok {
			bad = append(bad, name+": no prototype in kernels/")
		}
	}
	return bad
}

// TestLaunchSignatures checks the declared launch signature of every
// kernel against its prototype in the .cu sources, and that a signature
// changed on either side is caught.
func TestLaunchSignatures(t *testing.T) {
	protos := prototypes(t)
	n := 0
	for _, p := range Programs {
		n += len(p.Kernels)
	}
	if len(protos) != n {
		t.Fatalf("parsed %d prototypes, Programs lists %d kernels", len(protos), n)
	}
	with := func(name, sig string) map[string]string {
		m := map[string]string{}
		for k, v := range signatures {
			m[k] = v
		}
		if sig == "" {
			delete(m, name)
		} else {
			m[name] = sig
		}
		return m
	}
	for _, tt := range []struct {
		name string
		sigs map[string]string
		bad  int
	}{
		{"declared", signatures, 0},
		{"int for a float", with("rmsnorm", "pipippiii"), 1},
		{"argument missing", with("argmax", "ppi"), 1},
		{"argument extra", with("add_f32", "ppii"), 1},
		{"kernel undeclared", with("act_mul", ""), 1},
		{"kernel unknown", with("no_such_kernel", "p"), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if bad := compareSignatures(protos, tt.sigs); len(bad) != tt.bad {
				t.Errorf("compareSignatures = %q, want %d mismatches", bad, tt.bad)
			}
		})
	}
}

// TestCheckArgs checks that a launch with arguments that differ from the
// declared signature fails before reaching the driver.
func TestCheckArgs(t *testing.T) {
	for _, tt := range []struct {
		name, kinds string
		ok          bool
	}{
		{"add_f32", "ppi", true},
		{"add_f32", "ppf", false},
		{"add_f32", "pp", false},
		{"argmax", "ppiii", false},
		{"nothing", "", false},
	} {
		err := checkArgs(tt.name, []byte(tt.kinds))
		if (err == nil) != tt.ok {
			t.Errorf("checkArgs(%s, %q) = %v, want ok %v", tt.name, tt.kinds, err, tt.ok)
		}
	}
}
