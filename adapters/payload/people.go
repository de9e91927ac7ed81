package payload

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/helpdesk-gateway/gateway/domain"
)

// Field returns the value of the first of names that obj holds: present,
// not null and, for a string, not blank, since providers send "" for what
// they do not know. Names are matched exactly, then ignoring case.
func Field(obj map[string]json.RawMessage, names ...string) json.RawMessage {
	for _, n := range names {
		if v, ok := obj[n]; ok && said(v) {
			return v
		}
	}
	// Sorted keys: with two spellings of one name present, the choice must
	// not depend on map order, or a redelivery could read other facts.
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, n := range names {
		for _, k := range keys {
			if strings.EqualFold(k, n) && said(obj[k]) {
				return obj[k]
			}
		}
	}
	return nil
}

// said reports whether raw says something: not absent, null or a blank
// string.
func said(raw json.RawMessage) bool {
	if IsNull(raw) {
		return false
	}
	s, isString := String(raw)
	return !isString || strings.TrimSpace(s) != ""
}

// Trimmed reads a string value as storable text without surrounding
// spaces; anything else is "".
func Trimmed(raw json.RawMessage) string {
	return strings.TrimSpace(Text(raw))
}

// PhoneField names a field holding one phone number of a known kind.
type PhoneField struct {
	Name string
	Kind domain.PhoneKind
}

// PersonFields says where a provider puts each detail of a person. Each
// list names the fields to read, in order of preference.
type PersonFields struct {
	// Name is the whole name; without one, FirstName and LastName make it.
	Name, FirstName, LastName []string
	// Email fields hold one address each and EmailLists lists of them;
	// every address is kept, the first found is the one shown first.
	Email, EmailLists []string
	// Phones hold one number each, of the field's kind; PhoneLists hold
	// lists of numbers, as strings or as objects with a label.
	Phones     []PhoneField
	PhoneLists []string
	Company    []string
	Avatar     []string
}

// entryValues and entryLabels name the value and the label inside an
// object entry of an address or phone list ({"type":"work","value":"..."}).
var (
	entryValues = []string{"value", "email", "address", "phone", "phoneNumber", "phone_number", "number"}
	entryLabels = []string{"type", "label", "kind"}
)

// ReadPerson adds the details obj holds, where f says they are, to p.
// Absent, null and empty values say nothing and are skipped.
func ReadPerson(p *domain.Person, obj map[string]json.RawMessage, f *PersonFields) {
	p.FirstName = Trimmed(Field(obj, f.FirstName...))
	p.LastName = Trimmed(Field(obj, f.LastName...))
	p.Name = Trimmed(Field(obj, f.Name...))
	if p.Name == "" {
		p.Name = strings.TrimSpace(p.FirstName + " " + p.LastName)
	}
	for _, name := range f.Email {
		p.AddEmail(Trimmed(Field(obj, name)))
	}
	for _, name := range f.EmailLists {
		for _, item := range Array(Field(obj, name)) {
			if s := Trimmed(item); s != "" {
				p.AddEmail(s)
				continue
			}
			p.AddEmail(Trimmed(Field(Object(item), entryValues...)))
		}
	}
	for _, ph := range f.Phones {
		p.AddPhone(ph.Kind, number(Field(obj, ph.Name)))
	}
	for _, name := range f.PhoneLists {
		for _, item := range Array(Field(obj, name)) {
			if n := number(item); n != "" {
				p.AddPhone(domain.PhoneUnspecified, n)
				continue
			}
			entry := Object(item)
			p.AddPhone(PhoneKind(Trimmed(Field(entry, entryLabels...))), number(Field(entry, entryValues...)))
		}
	}
	p.Company = Trimmed(Field(obj, f.Company...))
	p.AvatarURL = Trimmed(Field(obj, f.Avatar...))
}

// number reads a phone number sent as a string or as an integer.
func number(raw json.RawMessage) string {
	if s := Trimmed(raw); s != "" {
		return s
	}
	if len(raw) > 0 && raw[0] >= '0' && raw[0] <= '9' && strings.Trim(string(raw), "0123456789") == "" {
		return string(raw)
	}
	return ""
}

// PhoneKind maps a provider's label for a phone number ("cell", "Work",
// "whatsApp") to its kind: no label is PhoneUnspecified, a label it does
// not know PhoneOther.
func PhoneKind(label string) domain.PhoneKind {
	var b strings.Builder
	for _, r := range strings.ToLower(label) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	switch strings.TrimSuffix(strings.TrimSuffix(b.String(), "number"), "phone") {
	case "", "main", "default", "primary":
		return domain.PhoneUnspecified
	case "mobile", "cell", "cellular":
		return domain.PhoneMobile
	case "work", "office", "business":
		return domain.PhoneOffice
	case "home", "private", "personal":
		return domain.PhoneHome
	case "whatsapp":
		return domain.PhoneWhatsApp
	case "sms", "text":
		return domain.PhoneSMS
	case "fax":
		return domain.PhoneFax
	}
	return domain.PhoneOther
}
