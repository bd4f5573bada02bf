package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"unicode"
)

// maxSecretFile bounds a secret file: a key or URL is far smaller, and a
// wrong path (a log, /dev/zero) must not be read whole.
const maxSecretFile = 64 << 10

// fileSuffix names the variable holding a secret's file path:
// ODOO_API_KEY_FILE=/run/secrets/odoo-api-key (Docker and Kubernetes mounts).
const fileSuffix = "_FILE"

// secretFlags defines the secret settings of one flag set. A secret comes
// from its flag, else its variable, else the file its <NAME>_FILE variable
// names; setting both the variable and the file is an error, since which
// one wins would be a guess. --help says where a secret comes from, never
// its value, and the value is filled in only after the flags are parsed.
type secretFlags struct {
	fs     *flag.FlagSet
	getenv func(string) string
	errs   *[]error
	list   []*secret
}

type secret struct {
	dst              *string
	flagName, envVar string
	value            string // from the variable
	path             string // from <envVar>_FILE
}

// define adds the secret flag flagName over envVar and envVar_FILE.
func (s *secretFlags) define(dst *string, flagName, envVar, usage string) {
	sec := &secret{dst: dst, flagName: flagName, envVar: envVar, value: s.getenv(envVar), path: s.getenv(envVar + fileSuffix)}
	from := "unset"
	switch {
	case sec.value != "" && sec.path != "":
		*s.errs = append(*s.errs, fmt.Errorf("%s and %s%s are both set; set only one", envVar, envVar, fileSuffix))
	case sec.value != "":
		from = "set from $" + envVar
	case sec.path != "":
		from = "set from $" + envVar + fileSuffix
	}
	// The default is "" so that flag prints no default: the value is
	// filled in by resolve.
	s.fs.StringVar(dst, flagName, "", fmt.Sprintf("%s ($%s or $%s%s; %s)", usage, envVar, envVar, fileSuffix, from))
	s.list = append(s.list, sec)
}

// resolve fills in the secrets whose flag was not given, after fs.Parse,
// and warns about those given as flags: other users of the host see the
// command line (ps, /proc/<pid>/cmdline).
func (s *secretFlags) resolve(logger *slog.Logger) error {
	given := map[string]bool{}
	s.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, sec := range s.list {
		if given[sec.flagName] {
			if *sec.dst != "" {
				logger.Warn("secret passed as a command-line flag, visible to other users of the host (ps); set it by variable or file instead",
					"flag", "--"+sec.flagName, "variables", sec.envVar+" or "+sec.envVar+fileSuffix)
			}
			continue
		}
		switch {
		case sec.value != "":
			*sec.dst = sec.value
		case sec.path != "":
			v, err := readSecretFile(sec.envVar+fileSuffix, sec.path)
			if err != nil {
				return err
			}
			*sec.dst = v
		}
	}
	return nil
}

// readSecretFile returns the file's content without trailing whitespace
// (editors and `echo` add a newline). Errors name the variable and the
// path, never content.
func readSecretFile(variable, path string) (string, error) {
	fail := func(err error) error {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is in the message already
		}
		return fmt.Errorf("%s=%s cannot be read: %w", variable, path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fail(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fail(err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s=%s is larger than %d KiB; is it the secret file?", variable, path, maxSecretFile>>10)
	}
	v := strings.TrimRightFunc(string(b), unicode.IsSpace)
	if v == "" {
		return "", fmt.Errorf("%s=%s is empty", variable, path)
	}
	return v, nil
}
