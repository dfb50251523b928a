package oidc

import (
	"context"
	"slices"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"

	lt "github.com/logintokens/logintokens"
)

// fillClaims puts the claims of a sign-in with login token tokenID in
// the ID token or the userinfo answer, by scope: openid gives sub,
// loginToken, userType and extra (and act when staff impersonate, oci
// after a punchout); profile gives name and company; email gives email.
// They are the form-post assertion's claims, read from the token as it is
// now, so that a change of name or email shows at the next sign-in.
func (p *Provider) fillClaims(ctx context.Context, info *zoidc.UserInfo, tokenID, subject string, scopes []string, oci map[string]string) error {
	info.Subject = subject
	tok, err := p.cfg.Store.FindTokenByID(ctx, tokenID)
	if err != nil {
		if lt.ErrorCode(err) == lt.ENOTFOUND {
			return zoidc.ErrAccessDenied().WithDescription("the login token of this sign-in was deleted")
		}
		return zoidc.ErrServerError().WithParent(err)
	}
	if !slices.Contains(scopes, zoidc.ScopeOpenID) {
		return nil
	}
	info.AppendClaims("loginToken", tok.ID)
	info.AppendClaims("userType", tok.Type)
	extra := tok.Extra
	if extra == nil {
		extra = []string{}
	}
	info.AppendClaims("extra", extra)
	if tok.Act != nil {
		info.AppendClaims("act", tok.Act)
	}
	if len(oci) > 0 {
		info.AppendClaims("oci", oci)
	}
	if tok.User == nil {
		return nil
	}
	if slices.Contains(scopes, zoidc.ScopeProfile) {
		info.Name = tok.User.Name
		if tok.User.Company != nil {
			info.AppendClaims("company", tok.User.Company)
		}
	}
	if slices.Contains(scopes, zoidc.ScopeEmail) && tok.User.Email != "" {
		// The shop's staff keep these addresses: the shop vouches for them.
		info.Email, info.EmailVerified = tok.User.Email, true
	}
	return nil
}
