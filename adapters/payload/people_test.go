package payload

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/helpdesk-gateway/gateway/domain"
)

func object(t *testing.T, s string) map[string]json.RawMessage {
	t.Helper()
	o := Object(json.RawMessage(s))
	if o == nil {
		t.Fatalf("not an object: %s", s)
	}
	return o
}

func TestFieldSkipsWhatSaysNothing(t *testing.T) {
	tests := []struct {
		name, obj string
		names     []string
		want      string
	}{
		{"first present name wins", `{"a":"1","b":"2"}`, []string{"b", "a"}, `"2"`},
		{"an empty string is absent", `{"email":"","mail":"x@example.com"}`, []string{"email", "mail"}, `"x@example.com"`},
		{"a blank string is absent", `{"email":"  ","mail":"x"}`, []string{"email", "mail"}, `"x"`},
		{"null is absent", `{"email":null,"mail":"x"}`, []string{"email", "mail"}, `"x"`},
		{"other types are values", `{"n":0}`, []string{"n"}, `0`},
		{"case is ignored after exact names", `{"EMAIL":"upper","mail":"x"}`, []string{"email", "mail"}, `"x"`},
		{"case is ignored when nothing matches exactly", `{"EMAIL":"upper"}`, []string{"email"}, `"upper"`},
		{"spellings are tried in a stable order", `{"Email":"b","EMAIL":"a"}`, []string{"email"}, `"a"`},
		{"nothing", `{"email":""}`, []string{"email"}, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(Field(object(t, tt.obj), tt.names...)); got != tt.want {
				t.Errorf("Field = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestReadPersonKeepsEveryDetail(t *testing.T) {
	fields := &PersonFields{
		Name: []string{"name", "contactName"}, FirstName: []string{"firstName"}, LastName: []string{"lastName"},
		Email: []string{"email", "mail"}, EmailLists: []string{"emails"},
		Phones: []PhoneField{{Name: "phoneNumber", Kind: domain.PhoneUnspecified}, {Name: "cellPhone", Kind: domain.PhoneMobile},
			{Name: "officePhone", Kind: domain.PhoneOffice}, {Name: "whatsApp", Kind: domain.PhoneWhatsApp}},
		PhoneLists: []string{"phones"}, Company: []string{"companyName"}, Avatar: []string{"avatarUrl"},
	}
	tests := []struct {
		name, obj string
		want      domain.Person
	}{
		{"every field", `{"contactName":"kaid","firstName":"Wang","lastName":" Wei ","companyName":"Cloudfon",
			"cellPhone":"1011","officePhone":18612345678,"mail":"kaid@example.com","whatsApp":"18612345678","avatarUrl":"https://x/a.png"}`,
			domain.Person{Name: "kaid", FirstName: "Wang", LastName: "Wei", Company: "Cloudfon", AvatarURL: "https://x/a.png",
				Email: "kaid@example.com", Emails: []string{"kaid@example.com"}, Phone: "1011",
				Phones: []domain.Phone{{Number: "1011", Kind: domain.PhoneMobile}, {Number: "18612345678", Kind: domain.PhoneOffice}, {Number: "18612345678", Kind: domain.PhoneWhatsApp}}}},
		{"the name from its parts; empty values are absent", `{"firstName":"Allen","lastName":"Ji","email":"","phoneNumber":"","avatarUrl":"","companyName":null}`,
			domain.Person{Name: "Allen Ji", FirstName: "Allen", LastName: "Ji"}},
		{"lists of strings and of labelled entries", `{"emails":["a@example.com",{"address":"b@example.com"},"A@example.com",7],
			"phones":["+1 1",{"type":"Work","value":"+1 2"},{"label":"cellphone","number":"+1 3"},{"type":"pager","value":"+1 4"},{"type":"x"}]}`,
			domain.Person{Email: "a@example.com", Emails: []string{"a@example.com", "b@example.com"}, Phone: "+1 1",
				Phones: []domain.Phone{{Number: "+1 1", Kind: domain.PhoneUnspecified}, {Number: "+1 2", Kind: domain.PhoneOffice}, {Number: "+1 3", Kind: domain.PhoneMobile}, {Number: "+1 4", Kind: domain.PhoneOther}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got domain.Person
			ReadPerson(&got, object(t, tt.obj), fields)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestPhoneKindReadsTheProvidersLabels(t *testing.T) {
	for label, want := range map[string]domain.PhoneKind{
		"": domain.PhoneUnspecified, "Phone": domain.PhoneUnspecified, "phone_number": domain.PhoneUnspecified,
		"mobile": domain.PhoneMobile, "cellPhone": domain.PhoneMobile, "CELL": domain.PhoneMobile,
		"officePhone": domain.PhoneOffice, "work": domain.PhoneOffice, "home": domain.PhoneHome,
		"whatsApp": domain.PhoneWhatsApp, "whatsappNumber": domain.PhoneWhatsApp, "sms": domain.PhoneSMS,
		"fax": domain.PhoneFax, "pager": domain.PhoneOther,
	} {
		if got := PhoneKind(label); got != want {
			t.Errorf("PhoneKind(%q) = %s, want %s", label, got, want)
		}
	}
}
