// Package oci encodes a shopping cart as the outbound form of SAP's Open
// Catalog Interface (OCI 4.0): the fields a catalog posts back to the
// procurement system's HOOK_URL when the buyer transfers the cart. It only
// builds the field list; serving the form is the caller's job.
//
// # Field lengths
//
// OCI fields are fixed-length character fields on the SAP side (structure
// BBP_OCI / BBP_OCI_ITEM of SRM), so every value must fit the field. The
// lengths below are those of the OCI field table ("Field Names, Length and
// Description", SAP OCI specification, as excerpted at
// https://ui.wiki.pcon-solutions.com/doku.php?id=shop-integration:oci) and
// of the SAP data dictionary structure BBP_OCI
// (https://www.sapdatasheet.org/abap/tabl/bbp_oci.html):
//
//	DESCRIPTION 40   MATNR 40          QUANTITY 15      UNIT 3
//	PRICE 15         CURRENCY 5        PRICEUNIT 5      LEADTIME 5
//	VENDOR 10        VENDORMAT 40      MANUFACTCODE 10  MANUFACTMAT 40
//	MATGROUP 10      SERVICE 1         CONTRACT 10      CONTRACT_ITEM 5
//	EXT_QUOTE_ID 35  EXT_QUOTE_ITEM 10 EXT_PRODUCT_ID 40
//	ATTACHMENT 255   ATTACHMENT_TITLE 255               ATTACHMENT_PURPOSE 1
//	EXT_SCHEMA_TYPE 10  EXT_CATEGORY_ID 60  EXT_CATEGORY 40  SLD_SYS_NAME 60
//	CUST_FIELD1 10  CUST_FIELD2 10  CUST_FIELD3 10  CUST_FIELD4 20  CUST_FIELD5 50
//	LONGTEXT_n:132  unlimited (the receiver stores it in lines of 132)
//
// BBP_OCI keeps PRICE as a packed number with 4 decimals, so a price with
// more decimals would be rounded by the receiver: Encode refuses it.
//
// # Too long values
//
// Lengths count UTF-16 code units, as SAP's Unicode systems do (a
// character outside the Basic Multilingual Plane takes two). Encode
// truncates, on a character boundary, only the fields that are display text
// for a person — DESCRIPTION, EXT_CATEGORY and ATTACHMENT_TITLE — because
// a product name longer than 40 characters is normal and the full text can
// travel in LONGTEXT. Every other field is a code, a number or a URL that a
// truncation would silently turn into another value, so a value that does
// not fit is an *Error instead.
package oci

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Item is one cart line. Empty optional fields are not sent.
type Item struct {
	Description string  // DESCRIPTION: required unless MatNr is set; truncated to 40
	MatNr       string  // MATNR: the buyer's own product number, usually empty
	Quantity    Decimal // QUANTITY: more than zero
	Unit        string  // UNIT: ISO unit code such as EA, PK, PR; required unless MatNr is set
	Price       Decimal // PRICE: per PriceUnit units, zero or more, at most 4 decimals
	Currency    string  // CURRENCY: ISO 4217 code; required unless MatNr is set
	PriceUnit   int     // PRICEUNIT: how many units Price is for; 0 = not sent (the receiver assumes 1)
	LeadTime    int     // LEADTIME: delivery time in days; 0 = not sent (unknown)
	LongText    string  // LONGTEXT_n:132[]: any length, line breaks kept

	Vendor            string // VENDOR: the vendor's number in the buyer's system
	VendorMat         string // VENDORMAT: the shop's product number (SKU)
	ManufactCode      string // MANUFACTCODE: the manufacturer's number in the buyer's system
	ManufactMat       string // MANUFACTMAT: the manufacturer's part number
	MatGroup          string // MATGROUP: material group, such as a UNSPSC or eCl@ss code
	Service           bool   // SERVICE: the line is a service ("X")
	Contract          string // CONTRACT
	ContractItem      string // CONTRACT_ITEM
	ExtQuoteID        string // EXT_QUOTE_ID: the shop's quotation number
	ExtQuoteItem      string // EXT_QUOTE_ITEM
	ExtProductID      string // EXT_PRODUCT_ID: the shop's database key of the product
	Attachment        string // ATTACHMENT: URL of a file the receiver downloads
	AttachmentTitle   string // ATTACHMENT_TITLE: truncated to 255
	AttachmentPurpose string // ATTACHMENT_PURPOSE: one letter, C = configuration
	ExtSchemaType     string // EXT_SCHEMA_TYPE: the catalogue schema, such as UNSPSC
	ExtCategoryID     string // EXT_CATEGORY_ID: the category's key in that schema
	ExtCategory       string // EXT_CATEGORY: the category's name; truncated to 40
	SLDSysName        string // SLD_SYS_NAME
	CustField1        string // CUST_FIELD1 .. CUST_FIELD5: agreed between shop and buyer
	CustField2        string
	CustField3        string
	CustField4        string
	CustField5        string
}

// Options are the parameters the procurement system passed when it opened
// the shop; OCI wants some of them echoed in the cart.
type Options struct {
	OkCode string // ~OkCode, echoed; "ADDI" (add items) when empty
	Target string // ~TARGET, echoed when set
	Caller string // ~CALLER, echoed when set
	// ReturnTarget is not a field but the target (window or frame) of the
	// HTML form that posts the cart; see FormTarget.
	ReturnTarget string
}

// DefaultOkCode is the ~OkCode that tells SAP to add the items.
const DefaultOkCode = "ADDI"

// FormTarget is the target attribute of the form that posts the cart: the
// returntarget the procurement system asked for, else _top, so the cart
// leaves any frame the shop was opened in.
func (o Options) FormTarget() string {
	if o.ReturnTarget != "" {
		return o.ReturnTarget
	}
	return "_top"
}

// Field is one form field of the cart, in the order it is posted.
type Field struct {
	Name  string
	Value string
}

// Error says which line and field of a cart cannot be encoded.
type Error struct {
	Line    int    // 1-based; 0 for the ~ fields
	Field   string // the OCI field name without NEW_ITEM- and index, such as PRICE
	Message string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("oci: %s: %s", e.Field, e.Message)
	}
	return fmt.Sprintf("oci: line %d: %s: %s", e.Line, e.Field, e.Message)
}

// Encode returns the form fields of a cart: ~OkCode, ~TARGET and ~CALLER
// first, then each item's NEW_ITEM- fields, lines numbered from 1. An empty
// cart is the ~ fields alone, which returns the buyer to the procurement
// system without adding anything.
func Encode(items []Item, opts Options) ([]Field, error) {
	okCode := opts.OkCode
	if okCode == "" {
		okCode = DefaultOkCode
	}
	out := []Field{{"~OkCode", okCode}}
	if opts.Target != "" {
		out = append(out, Field{"~TARGET", opts.Target})
	}
	if opts.Caller != "" {
		out = append(out, Field{"~CALLER", opts.Caller})
	}
	for i := range items {
		fields, err := encodeItem(i+1, &items[i])
		if err != nil {
			return nil, err
		}
		out = append(out, fields...)
	}
	return out, nil
}

// Values returns the fields as url.Values, for a server-side post or a test.
func Values(fields []Field) url.Values {
	v := url.Values{}
	for _, f := range fields {
		v.Add(f.Name, f.Value)
	}
	return v
}

// how a text field that does not fit is handled
const (
	code     = false // refuse: a shortened code is another code
	truncate = true  // shorten: display text
)

type encoder struct {
	line   int
	fields []Field
	err    error
}

func (e *encoder) fail(field, format string, args ...any) {
	if e.err == nil {
		e.err = &Error{Line: e.line, Field: field, Message: fmt.Sprintf(format, args...)}
	}
}

func (e *encoder) add(field, value string) {
	e.fields = append(e.fields, Field{Name: "NEW_ITEM-" + field + "[" + strconv.Itoa(e.line) + "]", Value: value})
}

// text adds a character field unless it is empty.
func (e *encoder) text(field, value string, max int, shorten bool) {
	if value == "" {
		return
	}
	if !utf8.ValidString(value) {
		e.fail(field, "is not valid UTF-8")
		return
	}
	if shorten {
		value = strings.TrimRight(truncateUTF16(singleLine(value), max), " ")
	} else if strings.IndexFunc(value, unicode.IsControl) >= 0 {
		e.fail(field, "contains a control character")
		return
	} else if n := utf16Len(value); n > max {
		e.fail(field, "%q is %d characters long, OCI allows %d", value, n, max)
		return
	}
	e.add(field, value)
}

// number adds a decimal, dropping trailing zeros only when the value would
// not fit otherwise.
func (e *encoder) number(field string, d Decimal, max int) {
	if d.Scale < 0 || d.Scale > maxScale {
		e.fail(field, "scale %d is out of range", d.Scale)
		return
	}
	s := d.String()
	if len(s) > max {
		s = d.trimmed().String()
	}
	if len(s) > max {
		e.fail(field, "%s is %d characters long, OCI allows %d", s, len(s), max)
		return
	}
	e.add(field, s)
}

// integer adds a positive whole number; zero means not sent.
func (e *encoder) integer(field string, n, max int) {
	switch {
	case n < 0:
		e.fail(field, "%d is negative", n)
	case n > 0:
		s := strconv.Itoa(n)
		if len(s) > max {
			e.fail(field, "%s is %d digits long, OCI allows %d", s, len(s), max)
			return
		}
		e.add(field, s)
	}
}

func encodeItem(line int, it *Item) ([]Field, error) {
	e := &encoder{line: line}
	byMatNr := it.MatNr != ""
	if it.Description == "" && !byMatNr {
		e.fail("DESCRIPTION", "is required unless MATNR is set")
	}
	if it.Quantity.Sign() <= 0 {
		e.fail("QUANTITY", "must be more than zero, not %s", it.Quantity)
	}
	if it.Unit == "" && !byMatNr {
		e.fail("UNIT", "is required unless MATNR is set")
	}
	if it.Price.Sign() < 0 {
		e.fail("PRICE", "must not be negative, not %s", it.Price)
	}
	if t := it.Price.trimmed(); t.Scale > 4 {
		e.fail("PRICE", "%s has more than the 4 decimals OCI carries", it.Price)
	}
	if it.Currency == "" && !byMatNr {
		e.fail("CURRENCY", "is required unless MATNR is set")
	}

	e.text("DESCRIPTION", it.Description, 40, truncate)
	e.text("MATNR", it.MatNr, 40, code)
	e.number("QUANTITY", it.Quantity, 15)
	e.text("UNIT", it.Unit, 3, code)
	e.number("PRICE", it.Price, 15)
	e.text("CURRENCY", it.Currency, 5, code)
	e.integer("PRICEUNIT", it.PriceUnit, 5)
	e.integer("LEADTIME", it.LeadTime, 5)
	e.text("VENDOR", it.Vendor, 10, code)
	e.text("VENDORMAT", it.VendorMat, 40, code)
	e.text("MANUFACTCODE", it.ManufactCode, 10, code)
	e.text("MANUFACTMAT", it.ManufactMat, 40, code)
	e.text("MATGROUP", it.MatGroup, 10, code)
	if it.Service {
		e.add("SERVICE", "X")
	}
	e.text("CONTRACT", it.Contract, 10, code)
	e.text("CONTRACT_ITEM", it.ContractItem, 5, code)
	e.text("EXT_QUOTE_ID", it.ExtQuoteID, 35, code)
	e.text("EXT_QUOTE_ITEM", it.ExtQuoteItem, 10, code)
	e.text("EXT_PRODUCT_ID", it.ExtProductID, 40, code)
	e.text("ATTACHMENT", it.Attachment, 255, code)
	e.text("ATTACHMENT_TITLE", it.AttachmentTitle, 255, truncate)
	e.text("ATTACHMENT_PURPOSE", it.AttachmentPurpose, 1, code)
	e.text("EXT_SCHEMA_TYPE", it.ExtSchemaType, 10, code)
	e.text("EXT_CATEGORY_ID", it.ExtCategoryID, 60, code)
	e.text("EXT_CATEGORY", it.ExtCategory, 40, truncate)
	e.text("SLD_SYS_NAME", it.SLDSysName, 60, code)
	e.text("CUST_FIELD1", it.CustField1, 10, code)
	e.text("CUST_FIELD2", it.CustField2, 10, code)
	e.text("CUST_FIELD3", it.CustField3, 10, code)
	e.text("CUST_FIELD4", it.CustField4, 20, code)
	e.text("CUST_FIELD5", it.CustField5, 50, code)
	if it.LongText != "" {
		if !utf8.ValidString(it.LongText) {
			e.fail("LONGTEXT", "is not valid UTF-8")
		}
		// The one field whose name carries the line number differently:
		// the receiver splits the text into lines of 132 characters.
		e.fields = append(e.fields, Field{Name: "NEW_ITEM-LONGTEXT_" + strconv.Itoa(line) + ":132[]", Value: it.LongText})
	}
	if e.err != nil {
		return nil, e.err
	}
	return e.fields, nil
}

// singleLine turns control characters (line breaks, tabs) into spaces: a
// one-line field has no room for them.
func singleLine(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// truncateUTF16 keeps the longest prefix of whole characters that fits in
// max UTF-16 code units.
func truncateUTF16(s string, max int) string {
	n := 0
	for i, r := range s {
		n += utf16.RuneLen(r)
		if n > max {
			return s[:i]
		}
	}
	return s
}
