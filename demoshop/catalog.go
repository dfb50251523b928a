package demoshop

import (
	"github.com/logintokens/logintokens/oci"
)

// currency of every price in the demo catalogue.
const currency = "EUR"

// product is one article of the demo catalogue. Prices are whole cents, so
// no amount ever passes through a float.
type product struct {
	SKU         string // the shop's article number: OCI VENDORMAT and EXT_PRODUCT_ID
	Description string
	Unit        string // ISO unit code: EA each (piece), PK pack, PR pair, RO roll
	PriceCents  int64  // per unit
	MatGroup    string // UNSPSC commodity code
	LeadTime    int    // days
	LongText    string
}

// catalogue is the demo shop's assortment. One description is longer than
// OCI's 40 characters on purpose: the transfer shortens it and carries the
// whole text in the long text.
var catalogue = []product{
	{"DS-1001", "Ballpoint pen, blue, pack of 10", "PK", 490, "44121704", 2,
		"Retractable ballpoint pens with a 0.7 mm tip and blue, document-proof ink. Ten pens per pack."},
	{"DS-1002", "Copy paper A4, 80 g/m², 500 sheets, bright white", "PK", 599, "14111507", 3,
		"Copy paper A4, 80 g/m², 500 sheets, bright white. Multipurpose paper for laser and inkjet printers; ISO 9706 long-life."},
	{"DS-2001", "Nitrile safety gloves, size L", "PR", 325, "46181504", 5,
		"Powder-free nitrile gloves, chemical-resistant to EN ISO 374-1. Sold by the pair."},
	{"DS-2002", "Packing tape 50 mm × 66 m, brown", "RO", 280, "31201610", 2,
		"Low-noise polypropylene packing tape with a solvent-free adhesive, for cartons up to 30 kg."},
	{"DS-3001", "USB-C docking station, 2 × HDMI", "EA", 18900, "43211602", 7,
		"Docking station with two HDMI outputs, 100 W power delivery, gigabit Ethernet and four USB ports."},
	{"DS-3002", "Ergonomic office chair, black mesh", "EA", 34900, "56112104", 14,
		"Office chair with a breathable mesh back, adjustable lumbar support, 3D armrests and a synchronous mechanism."},
}

func findProduct(sku string) *product {
	for i := range catalogue {
		if catalogue[i].SKU == sku {
			return &catalogue[i]
		}
	}
	return nil
}

// price is an amount in cents as an exact decimal.
func price(cents int64) oci.Decimal { return oci.Dec(cents, 2) }

// ociItem is the OCI cart line of qty units of p.
func (p *product) ociItem(qty int) oci.Item {
	return oci.Item{
		Description:  p.Description,
		Quantity:     oci.Dec(int64(qty), 0),
		Unit:         p.Unit,
		Price:        price(p.PriceCents),
		Currency:     currency,
		PriceUnit:    1,
		LeadTime:     p.LeadTime,
		LongText:     p.LongText,
		VendorMat:    p.SKU,
		MatGroup:     p.MatGroup,
		ExtProductID: p.SKU,
	}
}

// UnitName is the unit in words.
func (p product) UnitName() string {
	switch p.Unit {
	case "EA":
		return "piece"
	case "PK":
		return "pack"
	case "PR":
		return "pair"
	case "RO":
		return "roll"
	}
	return p.Unit
}
