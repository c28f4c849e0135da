package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/bitnet-go/bitnet/config"
	"github.com/bitnet-go/bitnet/internal/defaultmodel"
	"github.com/bitnet-go/bitnet/model"
	"github.com/bitnet-go/bitnet/validate"
)

func init() {
	register(command{"doctor", "check that this machine and the model are fit to run (exit 0 ok, 1 warnings, 2 failures)", cmdDoctor})
}

// checkExit is returned by commands whose exit code reports check results
// (doctor: 1 warnings, 2 failures); Main exits with ExitCode.
type checkExit struct {
	code int
	msg  string
}

func (e *checkExit) Error() string { return e.msg }
func (e *checkExit) ExitCode() int { return e.code }

// doctorOut is doctor's JSON output.
type doctorOut struct {
	Model    string                   `json:"model"`
	Findings []validate.Finding       `json:"findings"`
	Memory   *validate.MemoryEstimate `json:"memory,omitempty"`
	Facts    validate.Facts           `json:"facts"`
	Passed   int                      `json:"passed"`
	Warnings int                      `json:"warnings"`
	Failures int                      `json:"failures"`
	ExitCode int                      `json:"exit_code"`
}

var doctorDef = cmdDef{"doctor", "[flags]", "Check the machine and the model before running: CPU features and kernels, cores, memory\n" +
	"against what the model needs at the chosen context, disk space, GPU driver/devices/NVRTC,\n" +
	"the serve port, the server's security settings, and the model file itself.\n" +
	"Exit code: 0 all checks pass, 1 some warn, 2 some fail."}

// doctorFlags are doctor's flags: the configuration's and --json.
type doctorFlags struct {
	conf   *config.Binding
	asJSON *bool
}

func (d *doctorFlags) binding() *config.Binding { return d.conf }

func declareDoctor(fs *flag.FlagSet) *doctorFlags {
	return &doctorFlags{
		asJSON: fs.Bool("json", false, "print JSON"),
		conf: config.Bind(fs, "doctor", nil, "model.path", "model.head", "runtime.threads", "runtime.device", "runtime.kernels",
			"memory.context", "memory.kv_type", "memory.kv_budget", "server.addr", "server.api_key_file"),
	}
}

func init() { registerConfigured("doctor", declareDoctor) }

func cmdDoctor(args []string, stdout, stderr io.Writer) error {
	f, pos, err := parseCmd(doctorDef, declareDoctor, args, stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (give the model with -m)", pos[0])
	}
	asJSON := f.asJSON

	// A configuration error is a failed check; the others use the defaults.
	rep := &validate.Report{Subject: "doctor"}
	cfg, _, cerr := f.conf.Load(os.Environ())
	if cerr != nil {
		rep.Findings = append(rep.Findings, validate.Finding{Check: "config", Status: validate.Fail,
			Message: oneLine(cerr), Fix: "correct the settings named above; the other checks use the defaults"})
		cfg = config.Default()
	} else {
		rep.Findings = append(rep.Findings, validate.Finding{Check: "config", Status: validate.Pass, Message: "configuration valid"})
	}

	// The model: run the full validation and keep the non-passing findings.
	path, modelDir := cfg.Model.Path, ""
	var mr *validate.Report
	opt := validate.Options{Context: cfg.Memory.Context, KVType: cfg.Memory.KVType, Head: cfg.Model.Head, Threads: max(1, cfg.Runtime.Threads)}
	if path == "" {
		mr = validate.Bytes(defaultmodel.Bytes(), defaultmodel.Name, opt)
		modelDir, _ = os.Getwd()
	} else {
		mr = validate.Path(path, opt)
		modelDir = filepath.Dir(path)
	}
	if mr.Worst() == validate.Pass {
		rep.Findings = append(rep.Findings, validate.Finding{Check: "model", Status: validate.Pass, Object: mr.Subject,
			Message: fmt.Sprintf("valid: %d checks passed (bitnet validate prints them)", len(mr.Findings))})
	}
	for _, f := range mr.Findings {
		if f.Status == validate.Warn || f.Status == validate.Fail {
			f.Check = "model/" + f.Check
			rep.Findings = append(rep.Findings, f)
		}
	}
	need := doctorEstimate(path, opt)

	facts := validate.Gather(cfg, modelDir)
	rep.Findings = append(rep.Findings, validate.Host(cfg, need, facts).Findings...)

	out := doctorOut{Model: mr.Subject, Findings: rep.Findings, Memory: need, Facts: facts,
		Passed: rep.Count(validate.Pass), Warnings: rep.Count(validate.Warn), Failures: rep.Count(validate.Fail), ExitCode: rep.ExitCode()}
	if *asJSON {
		if err := printJSON(stdout, out); err != nil {
			return err
		}
	} else {
		printFindings(stdout, rep.Findings)
		fmt.Fprintf(stdout, "\n%d passed, %d warnings, %d failed\n", out.Passed, out.Warnings, out.Failures)
	}
	switch out.ExitCode {
	case 2:
		return &checkExit{exitUsage, fmt.Sprintf("%d check(s) failed", out.Failures)}
	case 1:
		return &checkExit{exitError, fmt.Sprintf("%d warning(s)", out.Warnings)}
	}
	return nil
}

// doctorEstimate returns the memory the model needs, or nil when its
// metadata cannot be read.
func doctorEstimate(path string, opt validate.Options) *validate.MemoryEstimate {
	f, err := openFile(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	c, err := model.NewConfig(f)
	if err != nil {
		return nil
	}
	e := validate.Estimate(c, f.Size(), opt.Context, 1, opt.Threads, opt.KVType, opt.Head)
	return &e
}

// printFindings prints one finding per line, its fix indented below.
func printFindings(w io.Writer, fs []validate.Finding) {
	for _, f := range fs {
		obj := ""
		if f.Object != "" {
			obj = f.Object + ": "
		}
		fmt.Fprintf(w, "%-4s  %-15s %s%s\n", f.Status, f.Check, obj, f.Message)
		if f.Fix != "" && f.Status >= validate.Warn {
			fmt.Fprintf(w, "      %-15s fix: %s\n", "", f.Fix)
		}
	}
}
