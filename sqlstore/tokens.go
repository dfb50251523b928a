package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	lt "github.com/logintokens/logintokens"
)

// tokenSelect reads a token with its user. The user columns come from
// whichever of contact or customer the token is for.
const tokenSelect = `SELECT t.id, t.type, t.expires_at, t.max_uses, t.networks, t.extra,
  t.successful_attempts, t.failed_attempts, t.last_accessed_at, t.created_at, t.updated_at, t.created_by,
  COALESCE(c.id, cu.id), COALESCE(c.first_name, cu.first_name), COALESCE(c.last_name, cu.last_name),
  COALESCE(c.email, cu.email), co.id, co.name,
  CASE WHEN COALESCE(c.disabled, cu.disabled) OR COALESCE(c.deleted_at, cu.deleted_at) IS NOT NULL THEN 0 ELSE 1 END,
  t.act, t.shop_id
FROM login_tokens t
LEFT JOIN contacts c ON c.id = t.contact_id
LEFT JOIN companies co ON co.id = c.company_id
LEFT JOIN customers cu ON cu.id = t.customer_id`

type rowScanner interface{ Scan(dest ...any) error }

// scanToken reads one row of tokenSelect (plus extra trailing columns).
// userActive is false when the token's user is disabled or deleted.
func (s *Store) scanToken(r rowScanner, more ...any) (tok *lt.LoginToken, userActive bool, err error) {
	tok = &lt.LoginToken{}
	var (
		extra                       string
		userID, companyID           sql.NullInt64
		first, last, email, company sql.NullString
		active                      int
		act                         sql.NullString
		shopID, maxUses             sql.NullInt64
		networks                    sql.NullString
	)
	dest := []any{&tok.ID, &tok.Type, nullTime{&tok.ExpiresAt}, &maxUses, &networks, &extra,
		&tok.SuccessfulAttempts, &tok.FailedAttempts, nullTime{&tok.LastAccessedAt},
		dbTime{&tok.CreatedAt}, dbTime{&tok.UpdatedAt}, &tok.CreatedBy,
		&userID, &first, &last, &email, &companyID, &company, &active, &act, &shopID}
	if err := r.Scan(append(dest, more...)...); err != nil {
		return nil, false, err
	}
	if err := json.Unmarshal([]byte(extra), &tok.Extra); err != nil {
		return nil, false, fmt.Errorf("token %s: bad extra in database: %w", tok.ID, err)
	}
	if tok.Extra == nil {
		tok.Extra = []string{}
	}
	if maxUses.Valid {
		tok.SetMaxUses(&maxUses.Int64)
	}
	tok.Networks = []string{}
	if networks.Valid {
		if err := json.Unmarshal([]byte(networks.String), &tok.Networks); err != nil {
			return nil, false, fmt.Errorf("token %s: bad networks in database: %w", tok.ID, err)
		}
	}
	if act.Valid {
		var imp lt.Impersonator
		if err := json.Unmarshal([]byte(act.String), &imp); err != nil {
			return nil, false, fmt.Errorf("token %s: bad act in database: %w", tok.ID, err)
		}
		tok.SetAct(&imp)
	}
	if shopID.Valid {
		tok.ShopID = &shopID.Int64
	}
	if userID.Valid && tok.Type != lt.UserAnonymous {
		tok.User = &lt.UserRef{Type: tok.Type, ID: userID.Int64, Name: lt.FullName(first.String, last.String), Email: email.String}
		if companyID.Valid {
			tok.User.Company = &lt.CompanyRef{ID: companyID.Int64, Name: company.String}
		}
	}
	tok.Status = tok.StatusAt(s.now())
	return tok, active == 1, nil
}

// userSearch is the denormalised text that q searches for a user, and
// sortName the key the list sorts by name with (nil for anonymous).
func userSearch(u *lt.UserRef) (search string, sortName any) {
	if u == nil {
		return "", nil
	}
	parts := []string{u.Name, u.Email}
	if u.Company != nil {
		parts = append(parts, u.Company.Name)
	}
	return strings.ToLower(strings.Join(parts, "\n")), strings.ToLower(u.Name)
}

func extraSearch(extra []string) string { return strings.ToLower(strings.Join(extra, "\n")) }

// actJSON is the act column's value: NULL for a token staff did not
// make to open the shop as its user. It is written once, when the token is
// made: a token that carries it can be deleted but not changed (see
// lt.LoginToken.Changeable).
func actJSON(act *lt.Impersonator) any {
	if act == nil {
		return nil
	}
	b, _ := json.Marshal(act)
	return string(b)
}

// networksJSON is the networks column's value: NULL for a token usable
// from any address, so that "bound to networks" is one IS NOT NULL.
func networksJSON(networks []string) any {
	if len(networks) == 0 {
		return nil
	}
	b, _ := json.Marshal(networks)
	return string(b)
}

func extraJSON(extra []string) string {
	if extra == nil {
		extra = []string{}
	}
	b, _ := json.Marshal(extra)
	return string(b)
}

// FindTokenByID returns one token, or NOT_FOUND.
func (s *Store) FindTokenByID(ctx context.Context, id string) (*lt.LoginToken, error) {
	var tok *lt.LoginToken
	err := s.read(ctx, func(tx *tx) error {
		var err error
		tok, err = s.findToken(ctx, tx, id)
		return err
	})
	return tok, err
}

func (s *Store) findToken(ctx context.Context, tx *tx, id string) (*lt.LoginToken, error) {
	tok, _, err := s.scanToken(tx.queryRow(ctx, tokenSelect+` WHERE t.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tokenNotFound(id)
	}
	return tok, err
}

func tokenNotFound(id string) error {
	return &lt.Error{Code: lt.ENOTFOUND, Message: fmt.Sprintf("login token %s not found", id)}
}

// findUser loads the user a token is to be bound to; deleted users cannot
// get new tokens, so they are found only with includeDeleted.
func (s *Store) findUser(ctx context.Context, tx *tx, typ lt.UserType, id int64, includeDeleted bool) (*lt.UserRef, error) {
	alive := " AND deleted_at IS NULL"
	if includeDeleted {
		alive = ""
	}
	u := &lt.UserRef{Type: typ, ID: id}
	var first, last string
	var err error
	switch typ {
	case lt.UserContact:
		var coID int64
		var coName string
		err = tx.queryRow(ctx, `SELECT c.first_name, c.last_name, c.email, co.id, co.name FROM contacts c
			JOIN companies co ON co.id = c.company_id WHERE c.id = ?`+strings.Replace(alive, "deleted_at", "c.deleted_at", 1), id).
			Scan(&first, &last, &u.Email, &coID, &coName)
		u.Company = &lt.CompanyRef{ID: coID, Name: coName}
	case lt.UserCustomer:
		err = tx.queryRow(ctx, `SELECT first_name, last_name, email FROM customers WHERE id = ?`+alive, id).
			Scan(&first, &last, &u.Email)
	default:
		return nil, nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, lt.Invalid(string(typ)+"Id", "no %s with id %d", typ, id)
	}
	u.Name = lt.FullName(first, last)
	return u, err
}

// errNoKey refuses work that needs the server key on a store opened
// without one (commands such as migrate need none).
var errNoKey = errors.New("this needs the server key (LOGINTOKENS_SECRET_KEY)")

// newSecret makes a new value for token id: its hash to check it by and its
// ciphertext to reveal it with.
func (s *Store) newSecret(id string) (value string, hash []byte, keyID string, sealed []byte) {
	secret := lt.NewSecret()
	value = lt.FormatValue(lt.TokenPrefix, id, secret)
	keyID, sealed = s.keys.Seal([]byte(value), []byte(id))
	return value, lt.HashSecret(id, secret), keyID, sealed
}

// CreateToken creates a token and answers it with its value.
func (s *Store) CreateToken(ctx context.Context, actor lt.Actor, n lt.NewToken) (*lt.IssuedToken, error) {
	if s.keys == nil {
		return nil, errNoKey
	}
	now := s.now()
	n.Extra = lt.NormalizeExtra(n.Extra)
	if err := n.Validate(now); err != nil {
		return nil, err
	}
	n.Networks, _ = lt.NormalizeNetworks(n.Networks) // valid: Validate checked them
	if n.ExpiresAt != nil {
		e := n.ExpiresAt.UTC().Truncate(time.Microsecond)
		n.ExpiresAt = &e
	}
	var issued *lt.IssuedToken
	err := s.write(ctx, func(tx *tx) error {
		typ := n.Type()
		var userID int64
		switch typ {
		case lt.UserContact:
			userID = *n.ContactID
		case lt.UserCustomer:
			userID = *n.CustomerID
		}
		user, err := s.findUser(ctx, tx, typ, userID, false)
		if err != nil {
			return err
		}
		if err := s.checkShop(ctx, tx, n.ShopID); err != nil {
			return err
		}
		id := lt.NewID()
		value, hash, keyID, sealed := s.newSecret(id)
		search, sortName := userSearch(user)
		_, err = tx.exec(ctx, `INSERT INTO login_tokens (id, type, contact_id, customer_id, expires_at, max_uses, networks, extra,
			created_at, updated_at, created_by, secret_hash, value_enc, value_key_id, sort_name, user_search, extra_search, act, shop_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, string(typ), n.ContactID, n.CustomerID, optTime(n.ExpiresAt), n.Uses(), networksJSON(n.Networks), extraJSON(n.Extra),
			now, now, actor.Name, hash, sealed, keyID, sortName, search, extraSearch(n.Extra), actJSON(n.Act), n.ShopID)
		if err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
		details := map[string]any{"type": typ, "maxUses": n.Uses(), "expiresAt": n.ExpiresAt}
		if len(n.Networks) > 0 {
			details["networks"] = n.Networks
		}
		if n.ShopID != nil {
			details["shopId"] = *n.ShopID
		}
		if n.Act != nil {
			details["impersonation"] = true
		}
		if err := s.audit(ctx, tx, actor, lt.EventTokenCreated, id, details); err != nil {
			return err
		}
		tok, err := s.findToken(ctx, tx, id)
		if err != nil {
			return err
		}
		issued = &lt.IssuedToken{LoginToken: tok, Value: value}
		return s.emitIf(ctx, tx, lt.WebhookTokenCreated, "token:"+id, func() (any, error) { return tokenEventData(tok, nil), nil })
	})
	return issued, err
}

// UpdateToken applies a merge patch. When the user changes the value is
// regenerated and answered; else value is "". A token that carries an
// impersonator is refused (CONFLICT), checked on the row the transaction
// reads.
func (s *Store) UpdateToken(ctx context.Context, actor lt.Actor, id string, upd lt.TokenUpdate) (tok *lt.LoginToken, value string, err error) {
	if s.keys == nil {
		return nil, "", errNoKey
	}
	if upd.Extra != nil {
		e := lt.NormalizeExtra(*upd.Extra)
		upd.Extra = &e
	}
	if err := upd.Validate(); err != nil {
		return nil, "", err
	}
	if upd.Networks != nil {
		n, _ := lt.NormalizeNetworks(*upd.Networks) // valid: Validate checked them
		upd.Networks = &n
	}
	now := s.now()
	err = s.write(ctx, func(tx *tx) error {
		old, err := s.findToken(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := old.Changeable(); err != nil {
			return err
		}
		c := &tokenChanges{}
		if value, err = s.updateSets(ctx, tx, c, old, upd); err != nil {
			return err
		}
		if len(c.changed) == 0 {
			tok = old
			return nil
		}
		c.sets = append(c.sets, "updated_at = ?")
		c.args = append(c.args, now, id)
		if _, err := tx.exec(ctx, `UPDATE login_tokens SET `+strings.Join(c.sets, ", ")+` WHERE id = ?`, c.args...); err != nil {
			return fmt.Errorf("update token: %w", err)
		}
		details := map[string]any{"changed": c.changed}
		if value != "" {
			details["regenerated"] = true
		}
		if err := s.audit(ctx, tx, actor, lt.EventTokenUpdated, id, details); err != nil {
			return err
		}
		if tok, err = s.findToken(ctx, tx, id); err != nil {
			return err
		}
		return s.emitIf(ctx, tx, lt.WebhookTokenUpdated, "token:"+id, func() (any, error) {
			return tokenEventData(tok, map[string]any{"changed": c.changed}), nil
		})
	})
	if err != nil {
		return nil, "", err
	}
	return tok, value, nil
}

// tokenChanges collects the columns an update sets, their values, and
// the fields of the token it changes.
type tokenChanges struct {
	sets    []string
	args    []any
	changed []string
}

func (c *tokenChanges) set(field, col string, v any) {
	c.sets = append(c.sets, col+" = ?")
	c.args = append(c.args, v)
	if !slices.Contains(c.changed, field) {
		c.changed = append(c.changed, field)
	}
}

// updateSets sets in c what upd changes of token old. A new user
// regenerates the value, which it answers; else value is "".
func (s *Store) updateSets(ctx context.Context, tx *tx, c *tokenChanges, old *lt.LoginToken, upd lt.TokenUpdate) (value string, err error) {
	if upd.ExpiresAtSet {
		var e *time.Time
		if upd.ExpiresAt != nil {
			t := upd.ExpiresAt.UTC().Truncate(time.Microsecond)
			e = &t
		}
		if !timeEqual(old.ExpiresAt, e) {
			c.set("expiresAt", "expires_at", optTime(e))
		}
	}
	if upd.OneTimeUse != nil && !upd.MaxUsesSet {
		switch {
		case *upd.OneTimeUse:
			upd.MaxUsesSet, upd.MaxUses = true, new(int64(1))
		case old.OneTimeUse:
			upd.MaxUsesSet, upd.MaxUses = true, nil
		}
	}
	if upd.MaxUsesSet && !optIDEqual(upd.MaxUses, old.MaxUses) {
		c.set("maxUses", "max_uses", upd.MaxUses)
	}
	if upd.Networks != nil && !slices.Equal(*upd.Networks, old.Networks) {
		c.set("networks", "networks", networksJSON(*upd.Networks))
	}
	if upd.Extra != nil && !slices.Equal(*upd.Extra, old.Extra) {
		c.set("extra", "extra", extraJSON(*upd.Extra))
		c.set("extra", "extra_search", extraSearch(*upd.Extra))
	}
	if upd.ShopIDSet && !optIDEqual(upd.ShopID, old.ShopID) {
		if err := s.checkShop(ctx, tx, upd.ShopID); err != nil {
			return "", err
		}
		c.set("shopId", "shop_id", upd.ShopID)
	}
	if !upd.ChangesUser() {
		return "", nil
	}
	typ, userID := lt.UserAnonymous, int64(0)
	var contactID, customerID *int64
	switch {
	case upd.ContactID != nil:
		typ, userID, contactID = lt.UserContact, *upd.ContactID, upd.ContactID
	case upd.CustomerID != nil:
		typ, userID, customerID = lt.UserCustomer, *upd.CustomerID, upd.CustomerID
	}
	if typ == old.Type && (typ == lt.UserAnonymous || (old.User != nil && old.User.ID == userID)) {
		return "", nil // the same user
	}
	user, err := s.findUser(ctx, tx, typ, userID, false)
	if err != nil {
		return "", err
	}
	search, sortName := userSearch(user)
	c.set("user", "type", string(typ))
	c.set("user", "contact_id", contactID)
	c.set("user", "customer_id", customerID)
	c.set("user", "sort_name", sortName)
	c.set("user", "user_search", search)
	value, hash, keyID, sealed := s.newSecret(old.ID)
	c.set("user", "secret_hash", hash)
	c.set("user", "value_enc", sealed)
	c.set("user", "value_key_id", keyID)
	return value, nil
}

func optIDEqual(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// checkShop refuses a shop id that names no shop, as a field error.
func (s *Store) checkShop(ctx context.Context, tx *tx, id *int64) error {
	if id == nil {
		return nil
	}
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM shops WHERE id = ?`, *id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return lt.Invalid("shopId", "no shop with id %d", *id)
	}
	return nil
}

func timeEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// RegenerateToken gives a token a new secret; the old value stops working
// at once. A token that carries an impersonator is refused (CONFLICT):
// its value must not pass to anyone else.
func (s *Store) RegenerateToken(ctx context.Context, actor lt.Actor, id string) (*lt.IssuedToken, error) {
	if s.keys == nil {
		return nil, errNoKey
	}
	now := s.now()
	var issued *lt.IssuedToken
	err := s.write(ctx, func(tx *tx) error {
		old, err := s.findToken(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := old.Changeable(); err != nil {
			return err
		}
		value, hash, keyID, sealed := s.newSecret(id)
		res, err := tx.exec(ctx, `UPDATE login_tokens SET secret_hash = ?, value_enc = ?, value_key_id = ?, updated_at = ? WHERE id = ? AND act IS NULL`,
			hash, sealed, keyID, now, id)
		if err != nil {
			return fmt.Errorf("regenerate token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tokenNotFound(id)
		}
		if err := s.audit(ctx, tx, actor, lt.EventTokenRegenerated, id, nil); err != nil {
			return err
		}
		tok, err := s.findToken(ctx, tx, id)
		if err != nil {
			return err
		}
		issued = &lt.IssuedToken{LoginToken: tok, Value: value}
		return s.emitIf(ctx, tx, lt.WebhookTokenUpdated, "token:"+id, func() (any, error) {
			return tokenEventData(tok, map[string]any{"changed": []string{"value"}}), nil
		})
	})
	return issued, err
}

// DeleteToken removes a token; its audit trail stays.
func (s *Store) DeleteToken(ctx context.Context, actor lt.Actor, id string) error {
	_, err := s.DeleteTokens(ctx, actor, []string{id})
	var e *lt.Error
	if errors.As(err, &e) && e.Code == lt.ENOTFOUND {
		return tokenNotFound(id)
	}
	return err
}

// DeleteTokens removes 1 to 1000 tokens, all or nothing: when an id is
// unknown nothing is deleted and the error names the unknown ids.
func (s *Store) DeleteTokens(ctx context.Context, actor lt.Actor, ids []string) (int, error) {
	ids = uniqueStrings(ids)
	if len(ids) == 0 || len(ids) > lt.MaxBulkDeleteIDs {
		return 0, lt.Invalid("ids", "give 1 to %d token ids", lt.MaxBulkDeleteIDs)
	}
	var v lt.Validation
	for _, id := range ids {
		if !lt.ValidID(id) {
			v.Add("ids", "%s is not a token id", lt.QuoteInput(id))
		}
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	err := s.write(ctx, func(tx *tx) error {
		found := map[string]bool{}
		in, args := inList(ids)
		rows, err := tx.query(ctx, `SELECT id FROM login_tokens WHERE id IN (`+in+`)`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			found[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var missing []string
		for _, id := range ids {
			if !found[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return &lt.Error{Code: lt.ENOTFOUND, Message: "unknown login token ids: " + strings.Join(missing, ", "),
				Fields: []lt.FieldError{{Field: "ids", Message: "unknown: " + strings.Join(missing, ", ")}}}
		}
		var gone []*lt.LoginToken
		if ok, err := s.subscribed(ctx, tx, lt.WebhookTokenDeleted); err != nil {
			return err
		} else if ok {
			for _, id := range ids {
				tok, err := s.findToken(ctx, tx, id)
				if err != nil {
					return err
				}
				gone = append(gone, tok)
			}
		}
		if _, err := tx.exec(ctx, `DELETE FROM login_tokens WHERE id IN (`+in+`)`, args...); err != nil {
			return fmt.Errorf("delete tokens: %w", err)
		}
		for _, id := range ids {
			if err := s.audit(ctx, tx, actor, lt.EventTokenDeleted, id, nil); err != nil {
				return err
			}
		}
		for _, tok := range gone {
			if err := s.emit(ctx, tx, lt.WebhookEvent{Type: lt.WebhookTokenDeleted, Key: "token:" + tok.ID, Data: tokenEventData(tok, nil)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(ids), nil
}

func uniqueStrings(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// inList returns "?, ?, ?" and the arguments for an IN list.
func inList[T any](vals []T) (string, []any) {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", "), args
}

// RevealToken decrypts a token's value for an editor; audited. A token
// that carries an impersonator is refused (CONFLICT): its value is for the
// one tab that staff member opened.
func (s *Store) RevealToken(ctx context.Context, actor lt.Actor, id string, purpose string) (string, error) {
	if s.keys == nil {
		return "", errNoKey
	}
	var value string
	err := s.write(ctx, func(tx *tx) error {
		var keyID string
		var sealed []byte
		tok, _, err := s.scanToken(tx.queryRow(ctx, tokenSelectWithSeal+` WHERE t.id = ?`, id), &keyID, &sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return tokenNotFound(id)
		}
		if err != nil {
			return err
		}
		if err := tok.Changeable(); err != nil {
			return err
		}
		plain, err := s.keys.Open(keyID, sealed, []byte(id))
		if err != nil {
			return fmt.Errorf("reveal token %s: %w", id, err)
		}
		value = string(plain)
		var details map[string]any
		if purpose != "" {
			details = map[string]any{"purpose": purpose}
		}
		return s.audit(ctx, tx, actor, lt.EventTokenRevealed, id, details)
	})
	return value, err
}

// tokenSelectWithHash is tokenSelect plus the secret hash as last column.
var tokenSelectWithHash = strings.Replace(tokenSelect, "\nFROM login_tokens t", ", t.secret_hash\nFROM login_tokens t", 1)

// tokenSelectWithSeal is tokenSelect plus the sealed value's key id and
// ciphertext as last columns.
var tokenSelectWithSeal = strings.Replace(tokenSelect, "\nFROM login_tokens t", ", t.value_key_id, t.value_enc\nFROM login_tokens t", 1)

// LookupToken finds the token a value belongs to ("which token is this?").
// A value whose secret does not match is NOT_FOUND, as an unknown one is.
func (s *Store) LookupToken(ctx context.Context, value string) (*lt.LoginToken, error) {
	notFound := &lt.Error{Code: lt.ENOTFOUND, Message: "no login token has this value"}
	id, secret, err := lt.ParseValue(lt.TokenPrefix, value)
	if err != nil {
		return nil, notFound
	}
	var tok *lt.LoginToken
	err = s.read(ctx, func(tx *tx) error {
		var hash []byte
		var err error
		tok, _, err = s.scanToken(tx.queryRow(ctx, tokenSelectWithHash+` WHERE t.id = ?`, id), &hash)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !lt.SecretMatches(hash, id, secret)) {
			return notFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return tok, nil
}
