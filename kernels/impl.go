package kernels

import (
	"fmt"
	"os"
	"strings"
)

// An implementation is one kernel set: "generic" (the plain-Go reference,
// always available) or an assembly family such as "avx2" or "avx512vnni".
// Selecting one sets the dispatch bools that the per-family wrappers switch
// on; the registry is modelled on crypto/internal/impl.
type implementation struct {
	name      string
	available bool
	// enable switches the dispatch bools to this implementation (and
	// whatever weaker family it falls back to for kernels it lacks).
	enable func()
}

var (
	impls  []implementation
	active = "generic"
)

// register adds an implementation; architecture files call it from init,
// strongest last.
func register(name string, available bool, enable func()) {
	impls = append(impls, implementation{name, available, enable})
}

// Implementations lists the kernel sets this build knows, with whether the
// CPU supports each. "generic" is always first and always available.
func Implementations() (names []string, available []bool) {
	names, available = []string{"generic"}, []bool{true}
	for _, im := range impls {
		names = append(names, im.name)
		available = append(available, im.available)
	}
	return names, available
}

// Active returns the name of the selected kernel set.
func Active() string { return active }

// Select switches every kernel to the named implementation: "generic" (pure
// Go), "avx2", "avx512vnni", "neon", or "auto"/"" for the best one the CPU
// supports. It returns an error, and changes nothing, when the name is
// unknown or the CPU lacks the instructions. Select must not run
// concurrently with kernels (call it at start-up).
func Select(name string) error {
	name = strings.ToLower(strings.TrimSpace(name))
	switch name {
	case "", "auto":
		selectBest()
		return nil
	case "generic", "purego", "noasm":
		disableAll()
		active = "generic"
		return nil
	}
	var known []string
	for _, im := range impls {
		known = append(known, im.name)
		if im.name != name {
			continue
		}
		if !im.available {
			return fmt.Errorf("kernels: %s is not supported by this CPU (or was disabled by GODEBUG)", name)
		}
		disableAll()
		im.enable()
		active = name
		return nil
	}
	return fmt.Errorf("kernels: unknown kernel set %q (this build knows generic%s)", name, prefixEach(known, ", "))
}

func prefixEach(s []string, p string) string {
	var b strings.Builder
	for _, x := range s {
		b.WriteString(p + x)
	}
	return b.String()
}

// selectBest enables the strongest available implementation.
func selectBest() {
	disableAll()
	active = "generic"
	for i := len(impls) - 1; i >= 0; i-- {
		if impls[i].available {
			impls[i].enable()
			active = impls[i].name
			return
		}
	}
}

// EnvVar names the environment variable read at start-up to choose the
// kernel set, with the values of Select.
const EnvVar = "BITNET_KERNELS"

func init() {
	selectBest()
	if v := os.Getenv(EnvVar); v != "" {
		if err := Select(v); err != nil {
			// Keep the default; the CLI re-validates the variable and
			// reports the error to the user.
			selectBest()
		}
	}
}
