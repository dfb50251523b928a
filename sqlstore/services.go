package sqlstore

import lt "github.com/logintokens/logintokens"

// The store implements every service of the domain.
var (
	_ lt.TokenService       = (*Store)(nil)
	_ lt.DirectoryService   = (*Store)(nil)
	_ lt.StaffService       = (*Store)(nil)
	_ lt.APIKeyService      = (*Store)(nil)
	_ lt.AuditService       = (*Store)(nil)
	_ lt.Redeemer           = (*Store)(nil)
	_ lt.SigningKeyStore    = (*Store)(nil)
	_ lt.ShopService        = (*Store)(nil)
	_ lt.OutboxService      = (*Store)(nil)
	_ lt.WebhookService     = (*Store)(nil)
	_ lt.TokenEventRecorder = (*Store)(nil)
)
