package servicetest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The package exits the process and imports testing: only tests may use
// it. go list's Imports are the non-test imports, so any hit is a
// production package.
func TestNoProductionPackageImportsIt(t *testing.T) {
	const self = "github.com/logintokens/logintokens/internal/servicetest"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/logintokens/logintokens/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) > 1 && slices.Contains(fields[1:], self) {
			t.Errorf("%s imports %s, which is for tests only", fields[0], self)
		}
	}
}
