package outbound

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/helpdesk-gateway/gateway/domain"
)

// The test vector of the Standard Webhooks specification's reference
// libraries.
func TestSignMatchesTheStandardWebhooksTestVector(t *testing.T) {
	got, err := Sign([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
}

func TestSignWithTwoSecretsGivesBothSignaturesSpaceSeparated(t *testing.T) {
	a, b := domain.NewEndpointSecret(), domain.NewEndpointSecret()
	both, err := Sign([]string{a, b}, "id", 1, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	sa, _ := Sign([]string{a}, "id", 1, []byte("{}"))
	sb, _ := Sign([]string{b}, "id", 1, []byte("{}"))
	if both != sa+" "+sb {
		t.Fatalf("got %q, want %q", both, sa+" "+sb)
	}
	if _, err := Sign([]string{"whsec_not base64!"}, "id", 1, nil); err == nil {
		t.Fatal("a secret that is not base64 signed")
	}
}

func TestPrivateAddresses(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true,
		"169.254.169.254": true, "fe80::1": true, "fd00:ec2::254": true, "100.100.100.200": true,
		"0.0.0.0": true, "::": true, "::ffff:127.0.0.1": true, "224.0.0.1": true,
		"93.184.215.14": false, "2606:2800:21f:cb07:6820:80da:af6b:8b2c": false, "8.8.8.8": false,
	} {
		if got := private(netip.MustParseAddr(addr)); got != want {
			t.Errorf("private(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheckURLRefusesPrivateTargetsUnlessAllowed(t *testing.T) {
	ctx := context.Background()
	strict, open := New(Config{}), New(Config{AllowPrivate: true})
	for _, u := range []string{"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/"} {
		if err := strict.CheckURL(ctx, u); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%s: %v, want EINVALID", u, err)
		}
		if err := open.CheckURL(ctx, u); err != nil {
			t.Errorf("%s with private targets allowed: %v", u, err)
		}
	}
	for _, u := range []string{"ftp://example.com/", "/relative", "http://", "not a url"} {
		if err := open.CheckURL(ctx, u); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%s: %v, want EINVALID", u, err)
		}
	}
	if err := strict.CheckURL(ctx, "https://93.184.215.14/hook"); err != nil {
		t.Errorf("public address: %v", err)
	}
}

// The address is checked when connecting, whatever the name resolved to
// when the endpoint was created.
func TestDeliveriesRefuseAPrivateAddressAtConnectTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	d := New(Config{})
	_, err := d.client.Post("http://localhost:"+port+"/", "application/json", strings.NewReader("{}"))
	if err == nil || !strings.Contains(err.Error(), "not a public address") {
		t.Fatalf("connected to a loopback address: %v", err)
	}
	if res, err := New(Config{AllowPrivate: true}).client.Post(srv.URL, "application/json", strings.NewReader("{}")); err != nil {
		t.Fatalf("with private targets allowed: %v", err)
	} else {
		res.Body.Close()
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("the redirect was followed") }))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	res, err := New(Config{AllowPrivate: true}).client.Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("status %d", res.StatusCode)
	}
}
