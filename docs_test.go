package logintokens

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The documents that name the tests proving what they say. A reference is
// written `path/file_test.go: TestName`; further names of the same file may
// follow in the same list item, paragraph or table row as `TestOther`, or
// within the same backticks: `file_test.go: TestA, TestB`. Fuzz targets and
// benchmarks are named the same way.
var documentsCitingTests = []string{"SECURITY.md", "README.md"}

var (
	codeSpan = regexp.MustCompile("`([^`\n]+)`")
	fileRef  = regexp.MustCompile(`^([\w./-]+_test\.go)(?::\s*(.*))?$`)
	testName = regexp.MustCompile(`^(?:Test|Fuzz|Benchmark)[A-Z0-9_]\w*$`)
)

// testRef is one cited test: the file it is said to be in and its name
// ("" when a file is cited alone).
type testRef struct {
	file, name string
	line       int
}

// citedTests returns every test a document cites, and the test names it
// gives with no file before them in their block (which cannot be checked,
// so are refused too). A block is a list item, a table row or a paragraph.
func citedTests(doc string) (refs []testRef, orphans []testRef) {
	file := ""
	for i, line := range strings.Split(doc, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "* ") ||
			strings.HasPrefix(trimmed, "|") || strings.HasPrefix(trimmed, "#") {
			file = "" // a new block
		}
		for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
			span := strings.TrimSpace(m[1])
			if f := fileRef.FindStringSubmatch(span); f != nil {
				file = f[1]
				if strings.TrimSpace(f[2]) == "" {
					refs = append(refs, testRef{file: file, line: i + 1})
					continue
				}
				for _, n := range strings.Split(f[2], ",") {
					refs = append(refs, testRef{file: file, name: strings.TrimSpace(n), line: i + 1})
				}
				continue
			}
			if testName.MatchString(span) {
				if file != "" {
					refs = append(refs, testRef{file: file, name: span, line: i + 1})
				} else {
					orphans = append(orphans, testRef{name: span, line: i + 1})
				}
			}
		}
	}
	return refs, orphans
}

// TestDocumentsCiteTestsThatExist keeps the documents honest: every test
// they name as proof is declared, in the file they name.
func TestDocumentsCiteTestsThatExist(t *testing.T) {
	for _, doc := range documentsCitingTests {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		refs, orphans := citedTests(string(b))
		if doc == "SECURITY.md" && len(refs) < 50 {
			t.Errorf("%s: found only %d test references; has the way they are written changed?", doc, len(refs))
		}
		sources := map[string]string{}
		for _, r := range refs {
			src, ok := sources[r.file]
			if !ok {
				b, err := os.ReadFile(filepath.FromSlash(r.file))
				if err != nil {
					t.Errorf("%s:%d: %s does not exist", doc, r.line, r.file)
				}
				src = string(b)
				sources[r.file] = src
			}
			if r.name == "" || src == "" {
				continue
			}
			if !testName.MatchString(r.name) {
				t.Errorf("%s:%d: %q in the reference to %s is not a test, fuzz target or benchmark name", doc, r.line, r.name, r.file)
				continue
			}
			declared := regexp.MustCompile(`(?m)^func ` + regexp.QuoteMeta(r.name) + `\(`)
			if !declared.MatchString(src) {
				t.Errorf("%s:%d: %s declares no func %s", doc, r.line, r.file, r.name)
			}
		}
		for _, o := range orphans {
			t.Errorf("%s:%d: %s is named without its file (write `path/file_test.go: %s`)", doc, o.line, o.name, o.name)
		}
	}
}

func TestCitedTestsReadsEveryFormOfReference(t *testing.T) {
	doc := "- `a/x_test.go: TestOne` (`ids`), `TestTwo`,\n  `FuzzThree`\n\nRename `TestNot` here.\n" +
		"| `y_test.go: BenchmarkB, TestC` | `z_test.go` |\n"
	refs, orphans := citedTests(doc)
	want := []testRef{
		{"a/x_test.go", "TestOne", 1}, {"a/x_test.go", "TestTwo", 1}, {"a/x_test.go", "FuzzThree", 2},
		{"y_test.go", "BenchmarkB", 5}, {"y_test.go", "TestC", 5}, {"z_test.go", "", 5},
	}
	if len(refs) != len(want) {
		t.Fatalf("refs = %v, want %v", refs, want)
	}
	for i := range want {
		if refs[i] != want[i] {
			t.Errorf("ref %d = %v, want %v", i, refs[i], want[i])
		}
	}
	if len(orphans) != 1 || orphans[0].name != "TestNot" {
		t.Errorf("orphans = %v, want TestNot alone", orphans)
	}
}
