package odooemu

import (
	"sync"
	"time"
)

const cooldownText = "Too many login failures, please wait a bit before trying again."

// authState emulates res.users authentication: the password or an API key,
// a per-source failure counter (base.login_cooldown_after /
// base.login_cooldown_duration) and the per-worker cache of successful
// (uid, password) checks.
type authState struct {
	mu       sync.Mutex
	login    string
	password string
	keys     map[string]bool
	uid      int64
	after    int
	window   time.Duration
	failures map[string]failure
	ok       map[authKey]bool
	now      func() time.Time
}

type failure struct {
	n    int
	last time.Time
}

type authKey struct {
	uid int64
	pw  string
}

func (a *authState) validSecret(pw string) bool {
	return pw != "" && (pw == a.password || a.keys[pw])
}

// onCooldown mirrors _on_login_cooldown: at least `after` failures since the
// last success and the last one less than `window` ago.
func (a *authState) onCooldown(source string) bool {
	if a.after <= 0 {
		return false
	}
	f := a.failures[source]
	return f.n >= a.after && a.now().Sub(f.last) < a.window
}

// attempt runs one credential check inside _assert_can_auth.
func (a *authState) attempt(source string, check func() bool) error {
	if a.onCooldown(source) {
		return accessDenied(cooldownText)
	}
	if !check() {
		f := a.failures[source]
		a.failures[source] = failure{n: f.n + 1, last: a.now()}
		return accessDenied("")
	}
	delete(a.failures, source)
	return nil
}

// authenticate returns the uid, or 0 for bad credentials (and cooldown).
func (a *authState) authenticate(source, login, pw string, userActive bool) int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	err := a.attempt(source, func() bool { return login == a.login && userActive && a.validSecret(pw) })
	if err != nil {
		return 0
	}
	return a.uid
}

// check is security.check(db, uid, passwd) for object calls.
func (a *authState) check(source string, uid int64, pw string, userActive bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if pw == "" {
		return accessDenied("")
	}
	key := authKey{uid, pw}
	if a.ok[key] && userActive {
		return nil
	}
	err := a.attempt(source, func() bool { return uid == a.uid && userActive && a.validSecret(pw) })
	if err == nil {
		a.ok[key] = true
	}
	return err
}

func (a *authState) setCooldown(after int, window time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.after, a.window = after, window
	a.failures = map[string]failure{}
}
