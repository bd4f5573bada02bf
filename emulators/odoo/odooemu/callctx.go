package odooemu

// callCtx is the environment of one ORM call: the transaction, the user,
// the context and the companies it may see (Odoo's env).
type callCtx struct {
	s          *store
	tx         *txn
	uid        int64
	context    map[string]any
	companies  []int64 // env.companies: allowed_company_ids or all the user's companies
	activeTest bool
	sudo       bool // internal calls that bypass record rules
}

func (c *callCtx) viewer() int64 { return c.tx.id }

func (c *callCtx) version() int { return c.s.version }

// company is env.company: the first allowed company.
func (c *callCtx) company() int64 {
	if len(c.companies) > 0 {
		return c.companies[0]
	}
	return 1
}

func (c *callCtx) inCompanies(id int64) bool {
	for _, x := range c.companies {
		if x == id {
			return true
		}
	}
	return false
}

// withSudo returns a copy that ignores record rules and active_test, for
// internal reads.
func (c *callCtx) withSudo() *callCtx {
	cc := *c
	cc.sudo = true
	return &cc
}

func (c *callCtx) withActiveTest(on bool) *callCtx {
	cc := *c
	cc.activeTest = on
	return &cc
}

// allowed applies the model's record rule to a visible row.
func (c *callCtx) allowed(m *model, r int32) bool {
	return c.sudo || m.rule == nil || m.rule(c, r)
}
