package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// findBrowser returns a Chromium or Chrome binary, or "".
func findBrowser() string {
	if p := os.Getenv("CMW_BROWSER"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// requireBrowserEnv, set to 1, makes the browser tests fail instead of
// skipping when no Chromium is found (.ci/run sets it, so CI cannot pass
// without running them).
const requireBrowserEnv = "CMW_REQUIRE_BROWSER"

// headless starts a headless Chromium at width×height for the test (closed
// when it ends) and returns its context, with a 90-second budget, and the
// screenshot directory: CMW_SCREENSHOT_DIR, else a temporary one. Without
// Chromium it skips the test, or fails it when CMW_REQUIRE_BROWSER=1.
func headless(t *testing.T, width, height int) (ctx context.Context, shots string) {
	t.Helper()
	exe := findBrowser()
	if exe == "" {
		const why = "no Chromium found (install Debian's chromium, as .ci/run does, or set CMW_BROWSER)"
		if os.Getenv(requireBrowserEnv) == "1" {
			t.Fatal(why + ", and " + requireBrowserEnv + "=1 requires the browser tests")
		}
		t.Skip(why + ": skipping the browser test (" + requireBrowserEnv + "=1 makes this a failure)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.WindowSize(width, height))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancel(); cancelCtx(); cancelAlloc() })
	shots = os.Getenv("CMW_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	return ctx, shots
}

// TestBrowserSharedNumberPopup drives the agent console in headless
// Chromium: signing in (a wrong password first: refused, nothing
// revealed), a simulated inbound call from a number two contacts share,
// the picker, a pick, a disposition with a charge, the call in the
// agent's history with its result, and signing out. Screenshots go to
// CMW_SCREENSHOT_DIR (default: a temporary directory).
func TestBrowserSharedNumberPopup(t *testing.T) {
	ctx, dir := headless(t, 1200, 900)
	a := newTestApp(t)
	ana := a.agentID(t, "Ana")

	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// Signing in: the console asks for it, a wrong password is refused,
	// the right one lands on the console.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(a.srv.URL+"/login?lang=es"), // Spanish, remembered in a cookie
		chromedp.Navigate(a.srv.URL+"/console"),
		chromedp.WaitVisible(css(`form.login`)),
		chromedp.SendKeys(css(`input[name=username]`), "ana"),
		chromedp.SendKeys(css(`input[name=password]`), "not-the-password"),
		chromedp.Click(css(`#sign-in`)),
		chromedp.WaitVisible(css(`#msg`)),
	))
	refused, err := chromedp.Run(ctx, chromedp.Text(css(`#msg`)))
	require.NoError(t, err)
	assert.Equal(t, "Usuario o contraseña incorrectos.", refused)
	shot("login-refused.png")
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.querySelector('input[name=username]').value, document.querySelector('input[name=password]').value]`))
	require.NoError(t, err)
	assert.Equal(t, []string{"ana", ""}, kept, "the username is kept, the password never sent back")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(css(`input[name=password]`), a.password(t, "ana")),
		chromedp.Click(css(`#sign-in`)),
	))
	waitSubscribed := chromedp.Func(func(context.Context, *chromedp.Target) error {
		for i := 0; i < 200 && a.hub.Subscribers(ana) == 0; i++ {
			time.Sleep(25 * time.Millisecond)
		}
		return nil
	})
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(css(`#demo-shared`)),
		waitSubscribed,
		chromedp.Click(css(`#demo-shared`)),
		chromedp.WaitVisible(css(`.call-card .match button.candidate`)),
	))
	candidates, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.call-card .match button.candidate').length`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(css(`.call-card .match button.candidate:last-of-type`)),
		chromedp.WaitVisible(css(`.contact-name`)),
	))
	contactName, err := chromedp.Run(ctx, chromedp.Text(css(`.contact-name`)))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(css(`select[name=result]`), "PAGO"),
		chromedp.SendKeys(css(`textarea[name=notes]`), "Paga el viernes"),
		chromedp.SendKeys(css(`input[name=next_action]`), "Confirmar pago"),
		chromedp.SendKeys(css(`input[name=charge]`), "1500.25"),
		chromedp.Click(css(`.call-card button.save`)),
	))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('.call-card .form-msg').textContent === 'Guardado'`, chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err)
	saved, err := chromedp.Run(ctx, chromedp.Text(css(`.call-card .form-msg`)))
	require.NoError(t, err)
	shot("popup.png")
	assert.Equal(t, 2, candidates, "the picker shows both contacts of the shared number")
	assert.Contains(t, contactName, "Elena Mora")
	assert.Equal(t, "Guardado", saved)

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(a.srv.URL+"/calls"), chromedp.WaitVisible(css(`#calls`))))
	history, err := chromedp.Run(ctx, chromedp.Text(css(`#calls`)))
	require.NoError(t, err)
	assert.Contains(t, history, "Elena Mora")
	assert.Contains(t, history, "Promesa de pago")
	assert.Contains(t, history, "1500.25")
	assert.True(t, strings.Contains(history, "Ana Rojas"))
	assert.False(t, strings.Contains(history, "Beto Vargas"), "an agent's history is their own")
	shot("calls.png")

	// Signing out ends the session: the console asks to sign in again.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(css(`#logout`)),
		chromedp.WaitVisible(css(`form.login`)),
		chromedp.Navigate(a.srv.URL+"/console"),
		chromedp.WaitVisible(css(`form.login`)),
	))
	shot("signed-out.png")

	// An admin adds an agent user on the users page.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(css(`input[name=username]`), "admin"),
		chromedp.SendKeys(css(`input[name=password]`), a.password(t, "admin")),
		chromedp.Click(css(`#sign-in`)),
		chromedp.WaitVisible(css(`#signed-in`)),
		chromedp.Navigate(a.srv.URL+"/users"),
		chromedp.WaitVisible(css(`#add-user`)),
		chromedp.SendKeys(css(`#add-user input[name=username]`), "diego"),
		chromedp.SendKeys(css(`#add-user input[name=password]`), "diego-password"),
		chromedp.SetValue(css(`#add-user select[name=agent_id]`), a.agentID(t, "Carla")),
		chromedp.Click(css(`#add-user button`)),
		chromedp.WaitVisible(css(`tr[data-user=diego]`)),
	))
	added, err := chromedp.Run(ctx, chromedp.Text(css(`tr[data-user=diego]`)))
	require.NoError(t, err)
	assert.Contains(t, added, "Carla Jiménez")
	shot("users.png")
	t.Logf("screenshots in %s", dir)
}

// assertFits390 checks the page in ctx, at 390 px wide, scrolls only
// vertically: nothing is wider than the viewport (the elements that stick
// out are named when something is). A page reached by a click or a submit
// may still be loading its stylesheet: it is measured once loaded.
func assertFits390(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 800))
	require.NoError(t, err)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === 'complete'`))
		if err == nil && loaded {
			break
		}
		require.True(t, time.Now().Before(deadline), "%s: the page did not finish loading: %v", what, err)
	}
	const measure = `(() => { const d = document.documentElement, out = [d.scrollWidth, d.clientWidth];
		const wide = Array.from(document.querySelectorAll('body *')).filter((e) => e.getBoundingClientRect().right > d.clientWidth + 0.5)
			.slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''));
		return JSON.stringify({scroll: out[0], client: out[1], wide}); })()`
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](measure))
	require.NoError(t, err)
	var m struct {
		Scroll, Client int
		Wide           []string
	}
	require.NoError(t, json.Unmarshal([]byte(got), &m))
	assert.Equal(t, 390, m.Client, what)
	assert.LessOrEqual(t, m.Scroll, m.Client, "%s overflows at 390 px; too wide: %v", what, m.Wide)
}
