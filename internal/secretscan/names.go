package secretscan

import "strings"

// nameKind says what a name suggests its value holds.
type nameKind uint8

const (
	notSecret    nameKind = iota
	secretName            // TOKEN, API_KEY, CLIENT_SECRET: a secret, or often the name or path of one
	passwordName          // PASSWORD, PASSWD, PWD: a password
)

// SecretLikeName reports whether name (an environment variable, a parameter,
// a configuration key or an SSM parameter path) says its value is a secret:
// DB_PASSWORD, apiKey, STRIPE_SECRET, /prod/github/token. Names that point at
// a secret or describe one are not secret-like: DB_SECRET_ARN,
// TOKEN_TTL, PASSWORD_MIN_LENGTH, MAX_TOKENS.
func SecretLikeName(name string) bool { return nameClass(name) != notSecret }

func nameClass(name string) nameKind {
	words := splitWords(name)
	kind, last := notSecret, -1
	for i := range words {
		if k := wordKind(words, i); k != notSecret {
			kind, last = max(kind, k), i
		}
	}
	if kind == notSecret {
		return notSecret
	}
	for _, w := range words[last+1:] {
		if describingWords[w] {
			return notSecret
		}
	}
	if last > 0 && quantityWords[words[last-1]] {
		return notSecret
	}
	return kind
}

// wordKind classifies words[i], looking at the word before it for "KEY".
func wordKind(words []string, i int) nameKind {
	w := words[i]
	switch {
	case passwordWords[w]:
		return passwordName
	case strings.HasSuffix(w, "password") || strings.HasSuffix(w, "passwd") || strings.HasSuffix(w, "passphrase"):
		return passwordName // dbpassword, adminpasswd
	case secretWords[w]:
		return secretName
	case strings.HasSuffix(w, "secret") || strings.HasSuffix(w, "token") || strings.HasSuffix(w, "credentials"):
		return secretName // clientsecret, githubtoken
	case w == "key" && i > 0 && keyQualifiers[words[i-1]]:
		return secretName // API_KEY, PRIVATE_KEY
	case strings.HasSuffix(w, "key") && keyQualifiers[strings.TrimSuffix(w, "key")]:
		return secretName // apikey, secretkey
	}
	return notSecret
}

var passwordWords = map[string]bool{
	"password": true, "passwords": true, "passwd": true, "pwd": true, "pass": true, "pw": true, "passphrase": true,
}

var secretWords = map[string]bool{
	"secret": true, "secrets": true, "token": true, "tokens": true, "credential": true, "credentials": true,
	"creds": true, "bearer": true, "auth": true,
}

// keyQualifiers are the words that make a following KEY a secret: API_KEY
// is one, PARTITION_KEY and S3_KEY are not.
var keyQualifiers = map[string]bool{
	"api": true, "access": true, "private": true, "secret": true, "signing": true, "sign": true,
	"encryption": true, "encrypt": true, "master": true, "client": true, "auth": true, "session": true,
	"hmac": true, "license": true, "licence": true, "app": true, "consumer": true, "webhook": true, "jwt": true,
	"shared": true, "subscription": true, "ssh": true, "pgp": true, "gpg": true, "crypto": true, "cipher": true,
	"aes": true, "rsa": true, "developer": true, "service": true, "admin": true,
}

// describingWords, after the secret word, make the name about the secret
// rather than the secret itself: DB_PASSWORD_ARN, TOKEN_TTL.
var describingWords = map[string]bool{
	"arn": true, "arns": true, "name": true, "names": true, "id": true, "ids": true, "path": true, "paths": true,
	"param": true, "params": true, "parameter": true, "parameters": true, "ssm": true, "url": true, "urls": true,
	"uri": true, "endpoint": true, "host": true, "hostname": true, "port": true, "region": true, "table": true,
	"bucket": true, "queue": true, "topic": true, "ttl": true, "timeout": true, "expiry": true, "expiration": true,
	"expires": true, "expire": true, "lifetime": true, "duration": true, "seconds": true, "secs": true,
	"minutes": true, "hours": true, "days": true, "interval": true, "validity": true, "length": true, "len": true,
	"size": true, "min": true, "max": true, "count": true, "type": true, "kind": true, "algorithm": true,
	"algo": true, "alg": true, "field": true, "header": true, "prefix": true, "suffix": true, "file": true,
	"filename": true, "dir": true, "folder": true, "location": true, "enabled": true, "enable": true,
	"disabled": true, "version": true, "mode": true, "policy": true, "rotation": true, "ref": true,
	"reference": true, "source": true, "provider": true, "format": true, "encoding": true, "issuer": true,
	"audience": true, "scope": true, "scopes": true, "cache": true, "store": true, "attribute": true,
	"claim": true, "index": true, "hash": true, "regex": true, "pattern": true, "strength": true, "schema": true,
	"generator": true, "rotate": true, "required": true, "domain": true, "service": true, "role": true,
	"function": true,
}

// quantityWords, right before the secret word, make the name a setting about
// secrets: MAX_TOKENS, USE_PASSWORD, REQUIRE_TOKEN.
var quantityWords = map[string]bool{
	"max": true, "min": true, "num": true, "number": true, "count": true, "use": true, "enable": true,
	"disable": true, "require": true, "allow": true, "skip": true, "no": true, "has": true, "is": true,
	"reset": true, "forgot": true, "forgotten": true, "change": true, "new": true, "show": true, "hide": true,
}

// splitWords splits a name into lowercase words at separators and at
// camelCase boundaries: "dbPassword" → db, password; "APIKey" → api, key.
func splitWords(name string) []string {
	var words []string
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			words = append(words, strings.ToLower(name[start:end]))
		}
		start = -1
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) {
			flush(i)
			continue
		}
		if start >= 0 && isUpper(c) {
			prev := name[i-1]
			nextLower := i+1 < len(name) && isLower(name[i+1])
			if isLower(prev) || isDigit(prev) || (isUpper(prev) && nextLower) {
				flush(i)
			}
		}
		if start < 0 {
			start = i
		}
	}
	flush(len(name))
	return words
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
