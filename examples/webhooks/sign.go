package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// parseSecret reads the signing secret as Standard Webhooks writes it,
// "whsec_" and the key in base64, or takes any other string's bytes as
// the key. "" means no signatures.
func parseSecret(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return []byte(s), nil
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("secret: whsec_ must be followed by a key in base64")
	}
	return key, nil
}

// sign returns the Webhook-Signature of a delivery as Standard Webhooks
// defines it: "v1," and the base64 HMAC-SHA256, keyed with key, of
// "<id>.<timestamp>.<body>".
func sign(key []byte, id, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}
