package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	lt "github.com/logintokens/logintokens"
)

func runStaffCreate(ctx context.Context, c *cli, args []string) error {
	fs, cf := configFlagSet("staff create")
	email := fs.String("email", "", "`EMAIL` address, the sign-in name")
	name := fs.String("name", "", "display `NAME` (default the email)")
	var grants listFlag
	fs.Var(&grants, "grant", "`AREA:LEVEL`, such as configuration:editor (repeatable)")
	asJSON := jsonFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*email) == "" {
		return usagef("--email is required")
	}
	gs, err := parseGrantFlags(grants)
	if err != nil {
		return err
	}
	_, store, err := c.openConfigured(ctx, cf)
	if err != nil {
		return err
	}
	defer store.Close()

	password, err := c.readPassword(*email)
	if err != nil {
		return err
	}
	generated := password == ""
	if generated {
		password = lt.GeneratePassword()
	}
	st, err := store.CreateStaff(ctx, lt.NewStaff{Email: *email, Name: *name, Grants: gs, Password: password, MustChangePassword: generated})
	if err != nil {
		return err
	}
	return c.printStaff(st, password, generated, *asJSON)
}

// printStaff says who was created; a generated password is printed too,
// on stdout or in the --json object, as it is shown only now.
func (c *cli) printStaff(st *lt.Staff, password string, generated, asJSON bool) error {
	if asJSON {
		out := staffJSON{Staff: st, Grants: st.Grants.Strings()}
		if generated {
			out.Password = password
		}
		return writeJSON(c, out)
	}
	if generated {
		fmt.Fprintln(c.stdout, password)
		fmt.Fprintf(c.stderr, "created %s (%s) with a generated password; it must be changed at the first sign-in\n", st.Email, st.Actor())
	} else {
		fmt.Fprintf(c.stderr, "created %s (%s)\n", st.Email, st.Actor())
	}
	return nil
}

// staffJSON is a staff member as --json prints it; the password only when
// it was generated.
type staffJSON struct {
	*lt.Staff
	Grants   []string `json:"grants"`
	Password string   `json:"password,omitempty"`
}

func parseGrantFlags(list []string) (lt.Grants, error) {
	if len(list) == 0 {
		return nil, usagef("--grant is required: give one or more, such as --grant configuration:editor --grant users:viewer")
	}
	gs, err := lt.ParseGrants(list)
	if err != nil {
		return nil, usagef("--grant: %s", err)
	}
	return gs, nil
}

// maxPasswordLine bounds what is read as a password from stdin.
const maxPasswordLine = 1024

// readPassword returns the password for a new staff member: typed twice
// without echo when stdin is a terminal, else the first line of stdin. ""
// means "generate one".
func (c *cli) readPassword(email string) (string, error) {
	if f, ok := c.stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprintf(c.stderr, "Password for %s (empty to generate one): ", email)
		first, err := readHidden(f)
		fmt.Fprintln(c.stderr)
		if err != nil || first == "" {
			return "", err
		}
		fmt.Fprint(c.stderr, "Repeat the password: ")
		second, err := readHidden(f)
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", err
		}
		if first != second {
			return "", errors.New("the passwords do not match")
		}
		return first, nil
	}
	return readLine(c.stdin)
}

// readLine reads one line without its line ending; no input at all is "".
func readLine(r io.Reader) (string, error) {
	if r == nil {
		return "", nil
	}
	line, err := bufio.NewReaderSize(io.LimitReader(r, maxPasswordLine+2), maxPasswordLine+2).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if len(line) > maxPasswordLine {
		return "", fmt.Errorf("the password line on standard input is longer than %d bytes", maxPasswordLine)
	}
	return line, nil
}
