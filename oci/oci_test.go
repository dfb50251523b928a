package oci_test

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/logintokens/logintokens/oci"
)

// minimal is a valid line with only the required fields.
func minimal() oci.Item {
	return oci.Item{Description: "Pen", Quantity: oci.Dec(1, 0), Unit: "EA", Price: oci.Dec(190, 2), Currency: "EUR"}
}

// encodeOne encodes one line and returns its fields by name.
func encodeOne(t *testing.T, it oci.Item) map[string]string {
	t.Helper()
	fields, err := oci.Encode([]oci.Item{it}, oci.Options{})
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	m := map[string]string{}
	for _, f := range fields {
		if _, dup := m[f.Name]; dup {
			t.Fatalf("field %s twice", f.Name)
		}
		m[f.Name] = f.Value
	}
	return m
}

func TestEveryFieldHasItsOCINameAndValue(t *testing.T) {
	it := oci.Item{
		Description: "Copy paper A4", MatNr: "100-200", Quantity: oci.Dec(25, 1), Unit: "PK",
		Price: oci.Dec(1990, 2), Currency: "EUR", PriceUnit: 10, LeadTime: 3, LongText: "500 sheets\n80 g/m²",
		Vendor: "V1", VendorMat: "SKU-1", ManufactCode: "M1", ManufactMat: "MPN-1", MatGroup: "14111507",
		Service: true, Contract: "C1", ContractItem: "10", ExtQuoteID: "Q-1", ExtQuoteItem: "1", ExtProductID: "p1",
		Attachment: "https://shop.test/a.pdf", AttachmentTitle: "Data sheet", AttachmentPurpose: "C",
		ExtSchemaType: "UNSPSC", ExtCategoryID: "14111507", ExtCategory: "Printer or copier paper", SLDSysName: "SHOP",
		CustField1: "c1", CustField2: "c2", CustField3: "c3", CustField4: "c4", CustField5: "c5",
	}
	got, err := oci.Encode([]oci.Item{it}, oci.Options{OkCode: "ADDI", Target: "_top", Caller: "CTLG"})
	if err != nil {
		t.Fatal(err)
	}
	want := []oci.Field{
		{"~OkCode", "ADDI"}, {"~TARGET", "_top"}, {"~CALLER", "CTLG"},
		{"NEW_ITEM-DESCRIPTION[1]", "Copy paper A4"},
		{"NEW_ITEM-MATNR[1]", "100-200"},
		{"NEW_ITEM-QUANTITY[1]", "2.5"},
		{"NEW_ITEM-UNIT[1]", "PK"},
		{"NEW_ITEM-PRICE[1]", "19.90"},
		{"NEW_ITEM-CURRENCY[1]", "EUR"},
		{"NEW_ITEM-PRICEUNIT[1]", "10"},
		{"NEW_ITEM-LEADTIME[1]", "3"},
		{"NEW_ITEM-VENDOR[1]", "V1"},
		{"NEW_ITEM-VENDORMAT[1]", "SKU-1"},
		{"NEW_ITEM-MANUFACTCODE[1]", "M1"},
		{"NEW_ITEM-MANUFACTMAT[1]", "MPN-1"},
		{"NEW_ITEM-MATGROUP[1]", "14111507"},
		{"NEW_ITEM-SERVICE[1]", "X"},
		{"NEW_ITEM-CONTRACT[1]", "C1"},
		{"NEW_ITEM-CONTRACT_ITEM[1]", "10"},
		{"NEW_ITEM-EXT_QUOTE_ID[1]", "Q-1"},
		{"NEW_ITEM-EXT_QUOTE_ITEM[1]", "1"},
		{"NEW_ITEM-EXT_PRODUCT_ID[1]", "p1"},
		{"NEW_ITEM-ATTACHMENT[1]", "https://shop.test/a.pdf"},
		{"NEW_ITEM-ATTACHMENT_TITLE[1]", "Data sheet"},
		{"NEW_ITEM-ATTACHMENT_PURPOSE[1]", "C"},
		{"NEW_ITEM-EXT_SCHEMA_TYPE[1]", "UNSPSC"},
		{"NEW_ITEM-EXT_CATEGORY_ID[1]", "14111507"},
		{"NEW_ITEM-EXT_CATEGORY[1]", "Printer or copier paper"},
		{"NEW_ITEM-SLD_SYS_NAME[1]", "SHOP"},
		{"NEW_ITEM-CUST_FIELD1[1]", "c1"},
		{"NEW_ITEM-CUST_FIELD2[1]", "c2"},
		{"NEW_ITEM-CUST_FIELD3[1]", "c3"},
		{"NEW_ITEM-CUST_FIELD4[1]", "c4"},
		{"NEW_ITEM-CUST_FIELD5[1]", "c5"},
		{"NEW_ITEM-LONGTEXT_1:132[]", "500 sheets\n80 g/m²"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fields:\n got %v\nwant %v", got, want)
	}
}

func TestOptionalFieldsAreLeftOutWhenEmpty(t *testing.T) {
	got := encodeOne(t, minimal())
	want := map[string]string{
		"~OkCode":                 "ADDI",
		"NEW_ITEM-DESCRIPTION[1]": "Pen",
		"NEW_ITEM-QUANTITY[1]":    "1",
		"NEW_ITEM-UNIT[1]":        "EA",
		"NEW_ITEM-PRICE[1]":       "1.90",
		"NEW_ITEM-CURRENCY[1]":    "EUR",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestLinesAreNumberedFromOneInCartOrder(t *testing.T) {
	a, b, c := minimal(), minimal(), minimal()
	a.Description, b.Description, c.Description = "A", "B", "C"
	b.LongText = "text of B"
	fields, err := oci.Encode([]oci.Item{a, b, c}, oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := oci.Values(fields)
	for n, d := range map[string]string{"1": "A", "2": "B", "3": "C"} {
		if got := v.Get("NEW_ITEM-DESCRIPTION[" + n + "]"); got != d {
			t.Errorf("DESCRIPTION[%s] = %q, want %q", n, got, d)
		}
	}
	if v.Has("NEW_ITEM-DESCRIPTION[0]") || v.Has("NEW_ITEM-DESCRIPTION[4]") {
		t.Errorf("lines outside 1..3: %v", v)
	}
	if v.Get("NEW_ITEM-LONGTEXT_2:132[]") != "text of B" || v.Has("NEW_ITEM-LONGTEXT_1:132[]") {
		t.Errorf("long text on the wrong line: %v", v)
	}
	// Fields of one line stay together, lines in order.
	var lines []string
	for _, f := range fields[1:] {
		m := lineOf.FindStringSubmatch(f.Name)
		if m == nil {
			t.Fatalf("field %s names no line", f.Name)
		}
		n := m[1] + m[2]
		if len(lines) == 0 || lines[len(lines)-1] != n {
			lines = append(lines, n)
		}
	}
	if !reflect.DeepEqual(lines, []string{"1", "2", "3"}) {
		t.Errorf("line order %v", lines)
	}
}

var lineOf = regexp.MustCompile(`^NEW_ITEM-(?:[A-Z_0-9]+\[(\d+)\]|LONGTEXT_(\d+):132\[\])$`)

func TestEmptyCartIsTheEchoedFieldsAlone(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts oci.Options
		want []oci.Field
	}{
		{"defaults", oci.Options{}, []oci.Field{{"~OkCode", "ADDI"}}},
		{"echoed", oci.Options{OkCode: "ADDI", Target: "_parent", Caller: "CTLG", ReturnTarget: "srm"},
			[]oci.Field{{"~OkCode", "ADDI"}, {"~TARGET", "_parent"}, {"~CALLER", "CTLG"}}},
		{"other ok code", oci.Options{OkCode: "PROC"}, []oci.Field{{"~OkCode", "PROC"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, items := range [][]oci.Item{nil, {}} {
				got, err := oci.Encode(items, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestFormTargetIsReturnTargetElseTop(t *testing.T) {
	if got := (oci.Options{ReturnTarget: "srm_frame"}).FormTarget(); got != "srm_frame" {
		t.Errorf("got %q", got)
	}
	if got := (oci.Options{Target: "_parent"}).FormTarget(); got != "_top" {
		t.Errorf("without returntarget got %q, want _top", got)
	}
}

func TestNumbersUseADotAndNoThousandsSeparators(t *testing.T) {
	for _, tc := range []struct {
		name     string
		quantity oci.Decimal
		price    oci.Decimal
		wantQty  string
		wantPr   string
	}{
		{"whole", oci.Dec(3, 0), oci.Dec(12, 0), "3", "12"},
		{"cents kept", oci.Dec(1, 0), oci.Dec(1990, 2), "1", "19.90"},
		{"below one", oci.Dec(5, 1), oci.Dec(5, 3), "0.5", "0.005"},
		{"free", oci.Dec(1, 0), oci.Dec(0, 2), "1", "0.00"},
		{"thousands", oci.Dec(1234567, 0), oci.Dec(123456789, 2), "1234567", "1234567.89"},
		{"four decimals", oci.Dec(1, 0), oci.Dec(123456, 4), "1", "12.3456"},
		{"trailing zeros beyond four decimals are not decimals", oci.Dec(1, 0), oci.Dec(1230000, 6), "1", "1.230000"},
		{"fifteen characters fit", oci.Dec(12345678901234, 1), oci.Dec(1234567890123, 2), "1234567890123.4", "12345678901.23"},
		{"zeros dropped to fit", oci.Dec(100000000000000, 4), oci.Dec(1, 0), "10000000000", "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := minimal()
			it.Quantity, it.Price = tc.quantity, tc.price
			got := encodeOne(t, it)
			if got["NEW_ITEM-QUANTITY[1]"] != tc.wantQty || got["NEW_ITEM-PRICE[1]"] != tc.wantPr {
				t.Fatalf("QUANTITY %q PRICE %q, want %q %q", got["NEW_ITEM-QUANTITY[1]"], got["NEW_ITEM-PRICE[1]"], tc.wantQty, tc.wantPr)
			}
		})
	}
}

func TestInvalidLinesAreRefusedNamingLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*oci.Item)
		field string
	}{
		{"no description", func(it *oci.Item) { it.Description = "" }, "DESCRIPTION"},
		{"zero quantity", func(it *oci.Item) { it.Quantity = oci.Dec(0, 0) }, "QUANTITY"},
		{"negative quantity", func(it *oci.Item) { it.Quantity = oci.Dec(-1, 0) }, "QUANTITY"},
		{"quantity too long", func(it *oci.Item) { it.Quantity = oci.Dec(1234567890123456, 0) }, "QUANTITY"},
		{"quantity too long even without zeros", func(it *oci.Item) { it.Quantity = oci.Dec(12345678901234561, 3) }, "QUANTITY"},
		{"bad scale", func(it *oci.Item) { it.Quantity = oci.Dec(1, -1) }, "QUANTITY"},
		{"no unit", func(it *oci.Item) { it.Unit = "" }, "UNIT"},
		{"negative price", func(it *oci.Item) { it.Price = oci.Dec(-1, 2) }, "PRICE"},
		{"price with five decimals", func(it *oci.Item) { it.Price = oci.Dec(123451, 5) }, "PRICE"},
		{"price too long", func(it *oci.Item) { it.Price = oci.Dec(1234567890123456, 0) }, "PRICE"},
		{"no currency", func(it *oci.Item) { it.Currency = "" }, "CURRENCY"},
		{"negative price unit", func(it *oci.Item) { it.PriceUnit = -1 }, "PRICEUNIT"},
		{"price unit of six digits", func(it *oci.Item) { it.PriceUnit = 100000 }, "PRICEUNIT"},
		{"negative lead time", func(it *oci.Item) { it.LeadTime = -2 }, "LEADTIME"},
		{"lead time of six digits", func(it *oci.Item) { it.LeadTime = 100000 }, "LEADTIME"},
		{"line break in a code", func(it *oci.Item) { it.VendorMat = "A\nB" }, "VENDORMAT"},
		{"invalid UTF-8 in a code", func(it *oci.Item) { it.VendorMat = "A\xffB" }, "VENDORMAT"},
		{"invalid UTF-8 in text", func(it *oci.Item) { it.Description = "A\xffB" }, "DESCRIPTION"},
		{"invalid UTF-8 in long text", func(it *oci.Item) { it.LongText = "A\xffB" }, "LONGTEXT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, bad := minimal(), minimal()
			tc.edit(&bad)
			_, err := oci.Encode([]oci.Item{ok, bad}, oci.Options{})
			var e *oci.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *oci.Error", err)
			}
			if e.Line != 2 || e.Field != tc.field {
				t.Fatalf("error on line %d field %s (%v), want line 2 field %s", e.Line, e.Field, err, tc.field)
			}
			if !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("message %q does not name line and field", err)
			}
		})
	}
}

func TestMatNrStandsInForDescriptionUnitAndCurrency(t *testing.T) {
	got := encodeOne(t, oci.Item{MatNr: "4711", Quantity: oci.Dec(2, 0)})
	want := map[string]string{"~OkCode": "ADDI", "NEW_ITEM-MATNR[1]": "4711", "NEW_ITEM-QUANTITY[1]": "2", "NEW_ITEM-PRICE[1]": "0"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// set writes value into the Item field that holds the OCI field name.
var set = map[string]func(*oci.Item, string){
	"DESCRIPTION":        func(it *oci.Item, v string) { it.Description = v },
	"MATNR":              func(it *oci.Item, v string) { it.MatNr = v },
	"UNIT":               func(it *oci.Item, v string) { it.Unit = v },
	"CURRENCY":           func(it *oci.Item, v string) { it.Currency = v },
	"VENDOR":             func(it *oci.Item, v string) { it.Vendor = v },
	"VENDORMAT":          func(it *oci.Item, v string) { it.VendorMat = v },
	"MANUFACTCODE":       func(it *oci.Item, v string) { it.ManufactCode = v },
	"MANUFACTMAT":        func(it *oci.Item, v string) { it.ManufactMat = v },
	"MATGROUP":           func(it *oci.Item, v string) { it.MatGroup = v },
	"CONTRACT":           func(it *oci.Item, v string) { it.Contract = v },
	"CONTRACT_ITEM":      func(it *oci.Item, v string) { it.ContractItem = v },
	"EXT_QUOTE_ID":       func(it *oci.Item, v string) { it.ExtQuoteID = v },
	"EXT_QUOTE_ITEM":     func(it *oci.Item, v string) { it.ExtQuoteItem = v },
	"EXT_PRODUCT_ID":     func(it *oci.Item, v string) { it.ExtProductID = v },
	"ATTACHMENT":         func(it *oci.Item, v string) { it.Attachment = v },
	"ATTACHMENT_TITLE":   func(it *oci.Item, v string) { it.AttachmentTitle = v },
	"ATTACHMENT_PURPOSE": func(it *oci.Item, v string) { it.AttachmentPurpose = v },
	"EXT_SCHEMA_TYPE":    func(it *oci.Item, v string) { it.ExtSchemaType = v },
	"EXT_CATEGORY_ID":    func(it *oci.Item, v string) { it.ExtCategoryID = v },
	"EXT_CATEGORY":       func(it *oci.Item, v string) { it.ExtCategory = v },
	"SLD_SYS_NAME":       func(it *oci.Item, v string) { it.SLDSysName = v },
	"CUST_FIELD1":        func(it *oci.Item, v string) { it.CustField1 = v },
	"CUST_FIELD2":        func(it *oci.Item, v string) { it.CustField2 = v },
	"CUST_FIELD3":        func(it *oci.Item, v string) { it.CustField3 = v },
	"CUST_FIELD4":        func(it *oci.Item, v string) { it.CustField4 = v },
	"CUST_FIELD5":        func(it *oci.Item, v string) { it.CustField5 = v },
}

func TestTextFieldsRespectTheOCILengths(t *testing.T) {
	for _, tc := range []struct {
		field     string
		max       int
		truncated bool // display text is shortened; codes are refused
	}{
		{"DESCRIPTION", 40, true},
		{"MATNR", 40, false},
		{"UNIT", 3, false},
		{"CURRENCY", 5, false},
		{"VENDOR", 10, false},
		{"VENDORMAT", 40, false},
		{"MANUFACTCODE", 10, false},
		{"MANUFACTMAT", 40, false},
		{"MATGROUP", 10, false},
		{"CONTRACT", 10, false},
		{"CONTRACT_ITEM", 5, false},
		{"EXT_QUOTE_ID", 35, false},
		{"EXT_QUOTE_ITEM", 10, false},
		{"EXT_PRODUCT_ID", 40, false},
		{"ATTACHMENT", 255, false},
		{"ATTACHMENT_TITLE", 255, true},
		{"ATTACHMENT_PURPOSE", 1, false},
		{"EXT_SCHEMA_TYPE", 10, false},
		{"EXT_CATEGORY_ID", 60, false},
		{"EXT_CATEGORY", 40, true},
		{"SLD_SYS_NAME", 60, false},
		{"CUST_FIELD1", 10, false},
		{"CUST_FIELD2", 10, false},
		{"CUST_FIELD3", 10, false},
		{"CUST_FIELD4", 20, false},
		{"CUST_FIELD5", 50, false},
	} {
		t.Run(tc.field, func(t *testing.T) {
			name := "NEW_ITEM-" + tc.field + "[1]"
			fits := strings.Repeat("é", tc.max) // two bytes, one character each
			it := minimal()
			set[tc.field](&it, fits)
			if got := encodeOne(t, it)[name]; got != fits {
				t.Fatalf("%d characters: got %q", tc.max, got)
			}
			it = minimal()
			set[tc.field](&it, fits+"x")
			fields, err := oci.Encode([]oci.Item{it}, oci.Options{})
			if tc.truncated {
				if err != nil {
					t.Fatal(err)
				}
				if got := oci.Values(fields).Get(name); got != fits {
					t.Fatalf("%d characters: got %q, want the first %d", tc.max+1, got, tc.max)
				}
				return
			}
			var e *oci.Error
			if !errors.As(err, &e) || e.Field != tc.field || e.Line != 1 {
				t.Fatalf("%d characters: err = %v, want an error on %s", tc.max+1, err, tc.field)
			}
		})
	}
}

func TestTruncationKeepsWholeCharacters(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"ASCII", strings.Repeat("a", 45), strings.Repeat("a", 40)},
		{"two-byte characters", strings.Repeat("ü", 41), strings.Repeat("ü", 40)},
		{"three-byte character across the limit", strings.Repeat("a", 39) + "€€", strings.Repeat("a", 39) + "€"},
		// An emoji is two UTF-16 units in SAP: it does not fit in the last one.
		{"emoji across the limit", strings.Repeat("a", 39) + "🙂", strings.Repeat("a", 39)},
		{"emoji that fits", strings.Repeat("a", 38) + "🙂b", strings.Repeat("a", 38) + "🙂"},
		{"combining text", strings.Repeat("x", 38) + "Größe", strings.Repeat("x", 38) + "Gr"},
		{"line breaks become spaces", "Paper\r\nA4\twhite", "Paper  A4 white"},
		{"no trailing space after the cut", strings.Repeat("a", 39) + " b", strings.Repeat("a", 39)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := minimal()
			it.Description = tc.in
			got := encodeOne(t, it)["NEW_ITEM-DESCRIPTION[1]"]
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCodesCountCharactersNotBytes(t *testing.T) {
	it := minimal()
	it.Unit = "STÜ" // 3 characters, 4 bytes
	if got := encodeOne(t, it)["NEW_ITEM-UNIT[1]"]; got != "STÜ" {
		t.Fatalf("UNIT = %q", got)
	}
	it.MatGroup = strings.Repeat("a", 9) + "🙂" // 10 characters, 11 UTF-16 units
	if _, err := oci.Encode([]oci.Item{it}, oci.Options{}); err == nil {
		t.Fatal("an emoji that needs two UTF-16 units fitted the last one")
	}
}

func TestLongTextIsSentWholeUnderItsOwnName(t *testing.T) {
	long := strings.Repeat("Sturdy, recyclable and acid-free. ", 40) + "\nSecond paragraph: 80 g/m², ISO 9706."
	for _, tc := range []struct {
		name, text string
		sent       bool
	}{
		{"empty is left out", "", false},
		{"short", "One line.", true},
		{"longer than 132 and with line breaks", long, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := minimal()
			it.LongText = tc.text
			got, ok := encodeOne(t, it)["NEW_ITEM-LONGTEXT_1:132[]"]
			if ok != tc.sent || got != tc.text {
				t.Fatalf("sent %v %q, want %v %q", ok, got, tc.sent, tc.text)
			}
		})
	}
}

func TestParseDecimalIsExact(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want oci.Decimal
		str  string
	}{
		{"12", oci.Dec(12, 0), "12"},
		{"0.5", oci.Dec(5, 1), "0.5"},
		{"19.90", oci.Dec(1990, 2), "19.90"},
		{"0.1", oci.Dec(1, 1), "0.1"},
		{"-0.005", oci.Dec(-5, 3), "-0.005"},
		{"9223372036854775807", oci.Dec(9223372036854775807, 0), "9223372036854775807"},
		{"0.000000000000000001", oci.Dec(1, 18), "0.000000000000000001"},
	} {
		got, err := oci.ParseDecimal(tc.in)
		if err != nil || got != tc.want || got.String() != tc.str {
			t.Errorf("ParseDecimal(%q) = %v (%q), %v; want %v", tc.in, got, got.String(), err, tc.want)
		}
	}
	for _, in := range []string{"", "1,5", "1.000,00", "1 000", "1e3", "+1", ".5", "5.", "abc", "--1", "9223372036854775808", "0.0000000000000000001"} {
		if d, err := oci.ParseDecimal(in); err == nil {
			t.Errorf("ParseDecimal(%q) = %v, want an error", in, d)
		}
	}
	if s := oci.Dec(-9223372036854775808, 2).String(); s != "-92233720368547758.08" {
		t.Errorf("min int64: %q", s)
	}
}
