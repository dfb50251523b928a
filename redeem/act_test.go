package redeem

import (
	"context"
	"testing"

	lt "github.com/logintokens/logintokens"
)

func TestATokenMadeToImpersonatePutsItsStaffMemberInTheAssertion(t *testing.T) {
	sam := &lt.Impersonator{Sub: "staff:1", Name: "Sam Sales", Email: "sam@shop.test"}
	tok := &lt.LoginToken{ID: "abcdefghijkl", Type: lt.UserContact, Act: sam}
	issuer := &fakeIssuer{}
	svc := &Service{Store: &fakeStore{res: lt.RedeemResult{Token: tok}}, Issuer: issuer}
	res, err := svc.Redeem(context.Background(), Request{RedeemRequest: lt.RedeemRequest{Value: "x", Actor: "login"}})
	if err != nil || res.Code != "" || res.Assertion == "" {
		t.Fatalf("redeem: %+v, %v", res, err)
	}
	if issuer.got.Act != sam {
		t.Fatalf("assertion act %+v, want the token's %+v", issuer.got.Act, sam)
	}

	// A request that names its own impersonator keeps it.
	other := &lt.Impersonator{Sub: "staff:2"}
	if _, err := svc.Redeem(context.Background(), Request{RedeemRequest: lt.RedeemRequest{Value: "x"}, Act: other}); err != nil {
		t.Fatal(err)
	}
	if issuer.got.Act != other {
		t.Fatalf("assertion act %+v, want the request's", issuer.got.Act)
	}

	// A plain token has none.
	svc.Store = &fakeStore{res: lt.RedeemResult{Token: &lt.LoginToken{ID: "abcdefghijkl", Type: lt.UserContact}}}
	if _, err := svc.Redeem(context.Background(), Request{RedeemRequest: lt.RedeemRequest{Value: "x"}}); err != nil {
		t.Fatal(err)
	}
	if issuer.got.Act != nil {
		t.Fatalf("a plain token's assertion has act %+v", issuer.got.Act)
	}
}
