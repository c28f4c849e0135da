package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"

	"github.com/bitnet-go/bitnet/chat"
	"github.com/bitnet-go/bitnet/config"
	"github.com/bitnet-go/bitnet/decode"
	"github.com/bitnet-go/bitnet/generate"
)

func init() {
	register(command{"chat", "talk with a model: interactive, or scripted through a pipe", func(args []string, stdout, stderr io.Writer) error {
		interactive := false
		if st, err := os.Stdin.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			interactive = true
		}
		return runChat(args, os.Stdin, stdout, stderr, interactive, interrupts())
	}})
}

// interrupts delivers Ctrl-C for the life of the process.
func interrupts() <-chan os.Signal {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	return ch
}

const chatHelp = `Commands:
  /help        this text
  /reset       forget the conversation (the system prompt stays)
  /save FILE   write the conversation to FILE as JSON ({"messages": [...]})
  /history     print the conversation so far
  /exit        quit (also /quit, or Ctrl-D)
Ctrl-C stops the current answer; end a line with \ to continue it on the next.
`

// transcript is the JSON form of a conversation, read from a pipe and
// written by /save and --json.
type transcript struct {
	Messages []chat.Message `json:"messages"`
}

var chatDef = cmdDef{"chat", "[flags]",
	"Talk with a model. On a terminal this is a REPL (/help lists its commands); through a pipe, each\n" +
		"line is a user turn and each reply is printed followed by a newline, or, when the input is JSON\n" +
		"([{\"role\": …, \"content\": …}, …] or {\"messages\": […]}), every user message without a reply\n" +
		"is answered and the completed transcript is printed as JSON. The KV cache is kept between turns."}

// chatFlags are chat's flags: the configuration's and its own.
type chatFlags struct {
	modelCmd
	sampling samplingFlags
	system   *string
	tmplName *string
	verbose  *bool
}

// chatDefaults are chat's own defaults: replies may be longer than run's
// continuations.
var chatDefaults = map[string]string{"generation.max_tokens": "512"}

func declareChat(fs *flag.FlagSet) *chatFlags {
	return &chatFlags{
		modelCmd: bindModel(fs, "chat", chatDefaults, generationKeys...),
		sampling: declareSampling(fs),
		system:   fs.String("system", "", "system prompt"),
		tmplName: fs.String("chat-template", "auto", "template: auto, "+strings.Join(chat.Builtins, ", ")+", jinja (the model's own), or Jinja text"),
		verbose:  fs.Bool("verbose", false, "print the template, token counts and speeds to standard error"),
	}
}

func init() { registerConfigured("chat", declareChat) }

// chatSetup is what chat talks with, mapped from the configuration by
// chatConfigs.
type chatSetup struct {
	model modelSetup
	gen   genSetup
}

func (s chatSetup) modelSetup() modelSetup { return s.model }

func chatConfigs(c *config.Config, f *chatFlags) (chatSetup, error) {
	g, err := genConfig(c, f.sampling)
	return chatSetup{model: f.model(c), gen: g}, err
}

func runChat(args []string, stdin io.Reader, stdout, stderr io.Writer, interactive bool, sigs <-chan os.Signal) error {
	f, pos, c, err := parseConfigured(chatDef, declareChat, args, os.Environ(), stderr)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (chat reads its turns from standard input)", pos[0])
	}
	cs, err := chatConfigs(c, f)
	return withModel(cs, err, true, func(l *loaded, cs chatSetup) error {
		s, name, err := chatSession(l, cs, f, stderr)
		if err != nil {
			return err
		}
		opt := generate.Options{MaxTokens: cs.gen.maxTokens, Sampling: cs.gen.sampling, Stop: cs.gen.stop}
		return chatLoop(&chatter{s: s, opt: opt, stdout: stdout, stderr: stderr, verbose: *f.verbose}, stdin, interactive, sigs, l.file.Name+" (template "+name+")")
	})
}

// chatSession makes the session of a chat: the template and a state of
// memory.context tokens.
func chatSession(l *loaded, cs chatSetup, f *chatFlags, stderr io.Writer) (*generate.Session, string, error) {
	if cs.gen.context > l.model.Config.SeqLen {
		return nil, "", usagef("memory.context (--ctx) %d: want 0..%d (the model's training context)", cs.gen.context, l.model.Config.SeqLen)
	}
	src, _ := l.file.String("tokenizer.chat_template")
	tmpl, err := chat.Select(*f.tmplName, src, l.tok)
	if err != nil {
		return nil, "", usagef("--chat-template: %v", err)
	}
	st, err := l.model.NewState(cs.gen.context, 64)
	if err != nil {
		return nil, "", err
	}
	if *f.verbose {
		fmt.Fprintf(stderr, "model: %s, template: %s, context: %d tokens, sampling: %+v\n", l.file.Name, tmpl.Name(), st.SeqLen, cs.gen.sampling)
	}
	return generate.NewSession(l.model, st, l.tok, tmpl, *f.system), tmpl.Name(), nil
}

// chatLoop reads the turns from stdin and answers them with c; about names
// the model and template in the interactive greeting.
func chatLoop(c *chatter, stdin io.Reader, interactive bool, sigs <-chan os.Signal, about string) error {
	stdout, stderr := c.stdout, c.stderr
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-sigs:
				if !c.interrupt() && interactive {
					fmt.Fprint(stderr, "\n(Ctrl-D or /exit quits)\n")
				}
			}
		}
	}()

	in := bufio.NewReaderSize(stdin, 1<<16)
	if !interactive {
		if b, err := peekNonSpace(in); err == nil && (b == '[' || b == '{') {
			return c.transcript(in)
		}
	} else {
		fmt.Fprintf(stderr, "Chatting with %s. /help for commands, Ctrl-D to quit.\n", about)
	}
	for {
		if interactive {
			fmt.Fprint(stdout, "> ")
		}
		line, err := readTurn(in)
		if err == io.EOF && line == "" {
			if interactive {
				fmt.Fprintln(stdout)
			}
			return nil
		}
		if err != nil && err != io.EOF {
			return err
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, "/") {
			quit, err := c.command(line)
			if err != nil {
				if !interactive {
					return err
				}
				fmt.Fprintf(stderr, "%v\n", err)
			}
			if quit {
				return nil
			}
			continue
		}
		if err := c.turn(line, true); err != nil {
			if !interactive {
				return err
			}
			fmt.Fprintf(stderr, "error: %v\n", oneLine(err))
		}
	}
}

// chatter runs the turns of one chat command.
type chatter struct {
	s              *generate.Session
	opt            generate.Options
	stdout, stderr io.Writer
	verbose        bool

	mu     sync.Mutex
	cancel context.CancelFunc // of the answer in progress, guarded by mu
}

// interrupt stops the answer in progress and reports whether there was one.
func (c *chatter) interrupt() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel == nil {
		return false
	}
	c.cancel()
	return true
}

// turn sends one user message and, with stream, prints the reply as it is
// generated.
func (c *chatter) turn(user string, stream bool) error {
	ctx, cancel := context.WithCancel(context.Background())
	c.mu.Lock()
	c.cancel = cancel
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.cancel = nil
		c.mu.Unlock()
		cancel()
	}()
	out := bufio.NewWriter(c.stdout)
	res, err := c.s.Send(ctx, user, c.opt, func(piece string) error {
		if !stream {
			return nil
		}
		if _, err := out.WriteString(piece); err != nil {
			return err
		}
		return out.Flush()
	})
	if stream {
		out.WriteString("\n")
		out.Flush()
	}
	if res != nil && c.verbose {
		fmt.Fprintf(c.stderr, "[prompt: %d new tokens, %.1f tok/s | reply: %d tokens, %.1f tok/s | finish: %s | cached: %d]\n",
			res.PromptTokens, res.PromptTokPerSec(), res.GenTokens, res.GenTokPerSec(), res.Finish, c.s.Cached())
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(c.stderr, "[stopped]")
		return nil
	}
	if cle := (*decode.ContextLengthError)(nil); errors.As(err, &cle) {
		return fmt.Errorf("%w; /reset starts over", err)
	}
	return err
}

// command runs a /command and reports whether to quit.
func (c *chatter) command(line string) (quit bool, err error) {
	name, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case "/exit", "/quit":
		return true, nil
	case "/help":
		fmt.Fprint(c.stdout, chatHelp)
	case "/reset":
		c.s.Reset()
		fmt.Fprintln(c.stderr, "[conversation reset]")
	case "/save":
		if arg == "" {
			return false, errors.New("/save needs a file name")
		}
		b, err := json.MarshalIndent(transcript{c.s.Conv.Messages}, "", "  ")
		if err != nil {
			return false, err
		}
		if err := os.WriteFile(arg, append(b, '\n'), 0o644); err != nil {
			return false, err
		}
		fmt.Fprintf(c.stderr, "[saved %d messages to %s]\n", len(c.s.Conv.Messages), arg)
	case "/history":
		for _, m := range c.s.Conv.Messages {
			fmt.Fprintf(c.stdout, "%s: %s\n", m.Role, m.Content)
		}
	default:
		return false, fmt.Errorf("unknown command %s; /help lists them", name)
	}
	return false, nil
}

// transcript answers a JSON transcript read from in and prints the
// completed transcript.
func (c *chatter) transcript(in io.Reader) error {
	b, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	var t transcript
	if trimmed := strings.TrimSpace(string(b)); strings.HasPrefix(trimmed, "[") {
		err = json.Unmarshal(b, &t.Messages)
	} else {
		err = json.Unmarshal(b, &t)
	}
	if err != nil {
		return fmt.Errorf("reading the JSON transcript: %w", err)
	}
	msgs := t.Messages
	if len(msgs) > 0 && msgs[0].Role == "system" {
		c.s.Conv.Messages = []chat.Message{msgs[0]}
		msgs = msgs[1:]
	}
	for i := 0; i < len(msgs); i++ {
		m := msgs[i]
		if m.Role != "user" {
			return fmt.Errorf("transcript message %d: role %q where a user turn belongs", i+1, m.Role)
		}
		if i+1 < len(msgs) && msgs[i+1].Role == "assistant" {
			// A reply from the transcript: history, not generated.
			if err := c.s.Conv.User(m.Content); err != nil {
				return err
			}
			c.s.Conv.Assistant(msgs[i+1].Content, nil)
			i++
			continue
		}
		if err := c.turn(m.Content, false); err != nil {
			return err
		}
	}
	out, err := json.MarshalIndent(transcript{c.s.Conv.Messages}, "", "  ")
	if err != nil {
		return err
	}
	_, err = c.stdout.Write(append(out, '\n'))
	return err
}

// readTurn reads one line without its line ending; a line that ends with
// a backslash continues on the next one.
func readTurn(in *bufio.Reader) (string, error) {
	var sb strings.Builder
	for {
		line, err := in.ReadString('\n')
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if strings.HasSuffix(line, "\\") && err == nil {
			sb.WriteString(line[:len(line)-1])
			sb.WriteByte('\n')
			continue
		}
		sb.WriteString(line)
		return sb.String(), err
	}
}

// peekNonSpace returns the first byte of in that is not white space,
// consuming only the white space before it.
func peekNonSpace(in *bufio.Reader) (byte, error) {
	for {
		b, err := in.Peek(1)
		if err != nil {
			return 0, err
		}
		if b[0] != ' ' && b[0] != '\t' && b[0] != '\n' && b[0] != '\r' {
			return b[0], nil
		}
		in.ReadByte()
	}
}
