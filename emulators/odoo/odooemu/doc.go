// Package odooemu is an in-memory Odoo 16/17/18 server speaking the real
// XML-RPC protocol (/xmlrpc/2/common, /xmlrpc/2/object, /xmlrpc/2/db), built
// from /work/shared/reference/odoo-api.md. Every test, benchmark and demo of
// the sync service runs against it.
//
// Use it in process:
//
//	emu, _ := odooemu.New(odooemu.Options{Version: 17, SeedCustomers: 1000, Seed: 1})
//	_ = emu.Start("127.0.0.1:0")
//	defer emu.Close()
//	url := emu.URL() // give it to the client; db "odoo", login/password "admin"
//
// # Simulation knobs
//
//   - Clock: SetNow(t) freezes the server clock (every call then shares one
//     write_date, so many writes land in one second or microsecond),
//     Advance(d) moves it, UseRealClock() returns to the wall clock,
//     Options.Now replaces the wall clock.
//   - Late commits: tx := emu.Begin() opens a transaction. Records it
//     creates or writes (tx.Create, tx.Write, tx.Unlink, tx.Call) get
//     write_date = tx.Start() and stay invisible to every other caller,
//     who keeps seeing the before-images, until tx.Commit(); tx.Rollback()
//     drops them. A call that writes a row the transaction holds fails with
//     Fault 1 (psycopg2 SerializationFailure), as PostgreSQL would.
//   - Latency and faults: Options.Latency / SetLatency add a delay to every
//     RPC. Options.FaultRate / SetFaults(Faults{...}) make a fraction of
//     object calls answer Fault 1 OperationalError tracebacks, HTTP 502,
//     HTTP 503, arrive slowly (SlowDelay) or hang until the client gives up
//     (Timeout, then HTTP 504). Faulted calls change nothing.
//   - Login cooldown: after 5 failed authentications from one address the
//     address is refused for 60 s (Odoo's base.login_cooldown_after and
//     _duration); Options.LoginCooldownAfter / SetLoginCooldown change it,
//     0 (SetLoginCooldown) or a negative option disables it. As in Odoo a
//     (uid, password) pair that already passed an object call stays cached.
//   - Seeding: Options.SeedCustomers or Seed(n, seed) load n generated
//     customers (about 1.5 partners and 3 orders each, with guest duplicates,
//     accounts, two companies and websites, VIP tags, bad emails, company
//     contacts, unicode names, several order states and currencies, section
//     and note lines), deterministically for a seed and Options.SeedEnd.
//     100k customers load in a few seconds.
//   - Counters: Calls(), CallCount(model, method) and ResetCalls() count
//     object calls per "model.method" and "common.method" / "db.method".
//   - In-process calls: Call(ctx, model, method, args, kwargs) runs a method
//     as the admin user without HTTP (fast setup); results have the shapes
//     kolo/xmlrpc decodes into.
//   - Webhooks: Options.WebhookURL posts Odoo 17+'s "Send Webhook
//     Notification" JSON for every res.partner and sale.order the ORM
//     creates or writes (not for SQL-level changes such as merge
//     re-pointing), before the commit (17) or after it (18), with a 1 s
//     timeout; failures are only logged.
//   - SetAutoDone(true) emulates sale.group_auto_done_setting.
//
// docs/emulator-odoo.md lists what is emulated and what is not.
package odooemu
