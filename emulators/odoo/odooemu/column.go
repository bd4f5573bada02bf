package odooemu

import (
	"math"
	"slices"
)

// tstamp is a datetime in Unix microseconds (PostgreSQL timestamp precision).
// nullTS stands for NULL (Odoo's False).
type tstamp int64

const nullTS tstamp = math.MinInt64

// column holds one stored field for every row of a model. Rows are indexes;
// shadow rows (before-images of uncommitted changes) live in the same
// columns, so every typed operation works on both.
type column interface {
	grow()
	reserve(n int)
	get(r int32) any
	set(r int32, v any)
	copyRow(dst, src int32)
}

type strCol struct{ v []string }

func (c *strCol) reserve(n int)          { c.v = slices.Grow(c.v, n) }
func (c *strCol) grow()                  { c.v = append(c.v, "") }
func (c *strCol) get(r int32) any        { return c.v[r] }
func (c *strCol) set(r int32, v any)     { c.v[r] = v.(string) }
func (c *strCol) copyRow(dst, src int32) { c.v[dst] = c.v[src] }

// intCol stores integers and many2one ids (0 = False).
type intCol struct{ v []int64 }

func (c *intCol) reserve(n int)          { c.v = slices.Grow(c.v, n) }
func (c *intCol) grow()                  { c.v = append(c.v, 0) }
func (c *intCol) get(r int32) any        { return c.v[r] }
func (c *intCol) set(r int32, v any)     { c.v[r] = v.(int64) }
func (c *intCol) copyRow(dst, src int32) { c.v[dst] = c.v[src] }

type floatCol struct{ v []float64 }

func (c *floatCol) reserve(n int)          { c.v = slices.Grow(c.v, n) }
func (c *floatCol) grow()                  { c.v = append(c.v, 0) }
func (c *floatCol) get(r int32) any        { return c.v[r] }
func (c *floatCol) set(r int32, v any)     { c.v[r] = v.(float64) }
func (c *floatCol) copyRow(dst, src int32) { c.v[dst] = c.v[src] }

type boolCol struct{ v []bool }

func (c *boolCol) reserve(n int)          { c.v = slices.Grow(c.v, n) }
func (c *boolCol) grow()                  { c.v = append(c.v, false) }
func (c *boolCol) get(r int32) any        { return c.v[r] }
func (c *boolCol) set(r int32, v any)     { c.v[r] = v.(bool) }
func (c *boolCol) copyRow(dst, src int32) { c.v[dst] = c.v[src] }

type timeCol struct{ v []tstamp }

func (c *timeCol) reserve(n int)          { c.v = slices.Grow(c.v, n) }
func (c *timeCol) grow()                  { c.v = append(c.v, nullTS) }
func (c *timeCol) get(r int32) any        { return c.v[r] }
func (c *timeCol) set(r int32, v any)     { c.v[r] = v.(tstamp) }
func (c *timeCol) copyRow(dst, src int32) { c.v[dst] = c.v[src] }

// idsCol stores many2many ids. Slices are never shared between rows: every
// set stores a private copy so shadows stay intact.
type idsCol struct{ v [][]int64 }

func (c *idsCol) reserve(n int)   { c.v = slices.Grow(c.v, n) }
func (c *idsCol) grow()           { c.v = append(c.v, nil) }
func (c *idsCol) get(r int32) any { return c.v[r] }
func (c *idsCol) set(r int32, v any) {
	ids := v.([]int64)
	if len(ids) == 0 {
		c.v[r] = nil
		return
	}
	c.v[r] = append([]int64(nil), ids...)
}
func (c *idsCol) copyRow(dst, src int32) {
	if len(c.v[src]) == 0 {
		c.v[dst] = nil
		return
	}
	c.v[dst] = append([]int64(nil), c.v[src]...)
}
