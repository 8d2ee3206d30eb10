package number

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
)

// cacheBytes returns how many entries the Parse cache holds and the bytes
// of input their keys keep.
func cacheBytes() (entries, bytes int) {
	numbers.mu.RLock()
	defer numbers.mu.RUnlock()
	for k := range numbers.m {
		bytes += len(k.raw) + len(k.region)
	}
	return len(numbers.m), bytes
}

// TestParseCacheKeepsNoLongInput: the cache holds at most numberCacheSize
// entries of at most maxCachedKey bytes each. An input longer than that
// (a webhook's ani can be tens of KiB) is parsed, refused, and not kept,
// so 20,000 of them cannot pin hundreds of MiB.
func TestParseCacheKeepsNoLongInput(t *testing.T) {
	numbers.mu.Lock()
	clear(numbers.m)
	numbers.mu.Unlock()

	_, err := Parse("8888-7777", "CR")
	require.NoError(t, err)
	n, _ := cacheBytes()
	require.Equal(t, 1, n, "a phone number is cached")

	for i := range 50 {
		long := strings.Repeat("9", 32<<10+i) // too long: refused
		_, err := Parse(long, "CR")
		assert.ErrorIs(t, err, callmyway.ErrInvalidNumber)
		_, err = Parse(long, "CR") // the same again: refused again, still not cached
		assert.ErrorIs(t, err, callmyway.ErrInvalidNumber)
		padded := strings.Repeat(" ", 32<<10+i) + "8888-7777" // a number, padded: read, not cached
		got, err := Parse(padded, "CR")
		require.NoError(t, err)
		assert.Equal(t, "+50688887777", got.E164)
	}
	n, b := cacheBytes()
	assert.Equal(t, 1, n, "long inputs are not cached")
	assert.LessOrEqual(t, b, 1<<10)

	// Filling the cache past its size starts it over: never more than
	// numberCacheSize entries.
	for i := range numberCacheSize + 10 {
		Parse("+506 8888 "+strings.Repeat("1", i%5)+string(rune('0'+i%10)), "CR")
		Parse(strings.Repeat("9", 1+i%40)+" x"+string(rune('a'+i%26)), "CR")
	}
	n, b = cacheBytes()
	assert.LessOrEqual(t, n, numberCacheSize)
	assert.LessOrEqual(t, b, numberCacheSize<<10)
}
