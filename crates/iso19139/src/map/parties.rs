//! Responsible parties (`gmd:CI_ResponsibleParty`) by role: publisher, creator, contact point
//! and the GeoDCAT-AP roles, each also as a qualified attribution with its role.

use super::Record;
use crate::ResourceKind;
use crate::graph::{ns, t};
use crate::xml::{Element, Ns};
use oxrdf::{NamedNodeRef, NamedOrBlankNode};

use Ns::{Gco, Gmd, Gmx, Xlink};

/// What a party's contact information says, read once.
struct Party {
    role: String,
    individual: String,
    individual_uri: String,
    organisation: String,
    organisation_uri: String,
    emails: Vec<String>,
    urls: Vec<String>,
    phones: Vec<String>,
    addresses: Vec<[String; 5]>,
}

impl Record<'_, '_, '_> {
    pub(super) fn party(&mut self, s: &NamedOrBlankNode, party: Element<'_, '_>) {
        let p = self.read_party(party);
        let service = self.kind == ResourceKind::Service;
        let extended = self.extended;
        let property: Option<(NamedNodeRef<'static>, bool)> = match p.role.as_str() {
            "resourceProvider" if extended => Some((t!(geodcatap, "resourceProvider"), false)),
            "custodian" if extended => Some((t!(geodcatap, "custodian"), false)),
            "owner" if extended => Some((t!(dct, "rightsHolder"), false)),
            "user" if extended => Some((t!(geodcatap, "user"), false)),
            "distributor" if extended => Some((t!(geodcatap, "distributor"), false)),
            "originator" if extended => Some((t!(geodcatap, "originator"), false)),
            "pointOfContact" if !service || extended => Some((t!(dcat, "contactPoint"), true)),
            "principalInvestigator" if extended => {
                Some((t!(geodcatap, "principalInvestigator"), false))
            }
            "processor" if extended => Some((t!(geodcatap, "processor"), false)),
            "publisher" if !service || extended => Some((t!(dct, "publisher"), false)),
            "author" if !service || extended => Some((t!(dct, "creator"), false)),
            _ => None,
        };
        let attributed = (!service
            && !["pointOfContact", "publisher", "author"].contains(&p.role.as_str()))
            || extended;
        if let Some((property, vcard)) = property {
            let node = if vcard {
                self.vcard(party, &p)
            } else {
                self.agent(party, &p, attributed)
            };
            self.out.add(s, property, node);
        }
        if attributed && !p.role.is_empty() {
            let attribution = self.out.node();
            self.out
                .add(s, t!(prov, "qualifiedAttribution"), attribution.clone());
            self.out.typed(&attribution, t!(prov, "Attribution"));
            let agent = self.agent(party, &p, attributed);
            self.out.add(&attribution, t!(prov, "agent"), agent);
            let role = format!(
                "{}metadata-codelist/ResponsiblePartyRole/{}",
                ns!(inspire),
                p.role
            );
            if let Some(role) = self.out.iri(&role, "the role") {
                self.out
                    .add(&attribution, t!(dcat, "hadRole"), role.clone());
                self.out.typed(&role.into(), t!(dcat, "Role"));
            }
        }
    }

    fn read_party(&mut self, party: Element<'_, '_>) -> Party {
        let first_text = |name: &str| {
            party
                .child(Gmd, name)
                .and_then(|n| n.first())
                .map(|c| c.text())
                .unwrap_or_default()
        };
        let href = |name: &str| {
            party
                .child(Gmd, name)
                .and_then(|n| n.first())
                .and_then(|c| c.attribute(Xlink, "href"))
                .map(|h| h.trim().to_owned())
                .unwrap_or_default()
        };
        let contact = party.at(&[(Gmd, "contactInfo"), (Gmd, "CI_Contact")]);
        let texts = |path: &[(Ns, &'static str)]| -> Vec<String> {
            contact
                .map(|c| c.path(path))
                .unwrap_or_default()
                .iter()
                .map(|e| e.text())
                .filter(|t| !t.is_empty())
                .collect()
        };
        let emails = texts(&[
            (Gmd, "address"),
            (Gmd, "CI_Address"),
            (Gmd, "electronicMailAddress"),
            (Gmd, "*"),
        ]);
        let urls = texts(&[
            (Gmd, "onlineResource"),
            (Gmd, "CI_OnlineResource"),
            (Gmd, "linkage"),
            (Gmd, "URL"),
        ]);
        let phones = texts(&[
            (Gmd, "phone"),
            (Gmd, "CI_Telephone"),
            (Gmd, "voice"),
            (Gmd, "*"),
        ]);
        let mut addresses = Vec::new();
        for address in contact
            .map(|c| c.path(&[(Gmd, "address"), (Gmd, "CI_Address")]))
            .unwrap_or_default()
        {
            let delivery: Vec<String> = address
                .all(Gmd, "deliveryPoint")
                .flat_map(|d| d.children().map(|c| c.text()).collect::<Vec<_>>())
                .collect();
            let field = |name: &str| self.text_content(address.child(Gmd, name));
            let fields = [
                crate::xml::normalize_space(&delivery.join(" ")),
                field("city"),
                field("administrativeArea"),
                field("postalCode"),
                field("country"),
            ];
            if fields.iter().any(|f| !f.is_empty()) {
                addresses.push(fields);
            }
        }
        Party {
            role: party
                .at(&[(Gmd, "role"), (Gmd, "CI_RoleCode")])
                .and_then(|r| r.attribute(Ns::None, "codeListValue"))
                .unwrap_or("")
                .trim()
                .to_owned(),
            individual: first_text("individualName"),
            individual_uri: href("individualName"),
            organisation: party
                .all(Gmd, "organisationName")
                .map(|o| {
                    o.child(Gco, "CharacterString")
                        .or_else(|| o.child(Gmx, "Anchor"))
                        .map(|c| c.text())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(""),
            organisation_uri: href("organisationName"),
            emails,
            urls,
            phones,
            addresses,
        }
    }

    /// The party as an agent (FOAF), a new node each time unless it has an IRI: a person
    /// (member of the organisation), an organisation, or an agent.
    fn agent(&mut self, party: Element<'_, '_>, p: &Party, prov_agent: bool) -> NamedOrBlankNode {
        let node = self.party_node(p);
        let class = if !p.individual.is_empty() {
            t!(foaf, "Person")
        } else if !p.organisation.is_empty() {
            t!(foaf, "Organization")
        } else {
            t!(foaf, "Agent")
        };
        self.out.typed(&node, class);
        if prov_agent {
            self.out.typed(&node, t!(prov, "Agent"));
        }
        if !p.individual.is_empty() {
            for name in party.all(Gmd, "individualName") {
                self.text_and_translations(&node, t!(foaf, "name"), name, true);
            }
            // A person known only by the organisation's IRI is that node; no membership of itself.
            if !p.organisation.is_empty()
                && (p.organisation_uri.is_empty() || !p.individual_uri.is_empty())
            {
                let organisation = match self.out.iri(&p.organisation_uri, "the organisation") {
                    Some(iri) => iri.into(),
                    None => self.out.node(),
                };
                self.out
                    .add(&node, t!(org, "memberOf"), organisation.clone());
                self.out.typed(&organisation, t!(foaf, "Organization"));
                for name in party.all(Gmd, "organisationName") {
                    self.text_and_translations(&organisation, t!(foaf, "name"), name, true);
                }
            }
        } else if !p.organisation.is_empty() {
            for name in party.all(Gmd, "organisationName") {
                self.text_and_translations(&node, t!(foaf, "name"), name, true);
            }
        }
        self.contact_details(&node, p, false);
        node
    }

    /// The party as a contact point (vCard).
    fn vcard(&mut self, party: Element<'_, '_>, p: &Party) -> NamedOrBlankNode {
        let node = self.party_node(p);
        let class = if !p.individual.is_empty() {
            t!(vcard, "Individual")
        } else if !p.organisation.is_empty() {
            t!(vcard, "Organization")
        } else {
            t!(vcard, "Kind")
        };
        self.out.typed(&node, class);
        if !p.individual.is_empty() {
            for name in party.all(Gmd, "individualName") {
                self.text_and_translations(&node, t!(vcard, "fn"), name, true);
            }
            if !p.organisation.is_empty() {
                for name in party.all(Gmd, "organisationName") {
                    self.text_and_translations(&node, t!(vcard, "organization-name"), name, true);
                }
            }
        } else if !p.organisation.is_empty() {
            for name in party.all(Gmd, "organisationName") {
                self.text_and_translations(&node, t!(vcard, "fn"), name, true);
            }
        }
        self.contact_details(&node, p, true);
        node
    }

    fn party_node(&mut self, p: &Party) -> NamedOrBlankNode {
        let uri = if p.individual_uri.is_empty() {
            &p.organisation_uri
        } else {
            &p.individual_uri
        };
        match self.out.iri(uri, "the party's IRI") {
            Some(iri) => iri.into(),
            None => self.out.node(),
        }
    }

    fn contact_details(&mut self, node: &NamedOrBlankNode, p: &Party, vcard: bool) {
        let (phone, mail, url, address) = if vcard {
            (
                t!(vcard, "hasTelephone"),
                t!(vcard, "hasEmail"),
                t!(vcard, "hasURL"),
                t!(vcard, "hasAddress"),
            )
        } else {
            (
                t!(foaf, "phone"),
                t!(foaf, "mbox"),
                t!(foaf, "workplaceHomepage"),
                t!(locn, "address"),
            )
        };
        for number in &p.phones {
            let digits: String = number.chars().filter(|c| !" ()+.".contains(*c)).collect();
            if let Some(iri) = self
                .out
                .iri(&format!("tel:+{digits}"), "the telephone number")
            {
                self.out.add(node, phone, iri);
            }
        }
        for email in &p.emails {
            let email = email.strip_prefix("mailto:").unwrap_or(email);
            if let Some(iri) = self
                .out
                .iri(&format!("mailto:{email}"), "the e-mail address")
            {
                self.out.add(node, mail, iri);
            }
        }
        for homepage in &p.urls {
            if let Some(iri) = self.out.iri(homepage, "the home page") {
                self.out.add(node, url, iri);
            }
        }
        let fields: [NamedNodeRef<'static>; 5] = if vcard {
            [
                t!(vcard, "street-address"),
                t!(vcard, "locality"),
                t!(vcard, "region"),
                t!(vcard, "postal-code"),
                t!(vcard, "country-name"),
            ]
        } else {
            [
                t!(locn, "thoroughfare"),
                t!(locn, "postName"),
                t!(locn, "adminUnitL2"),
                t!(locn, "postCode"),
                t!(locn, "adminUnitL1"),
            ]
        };
        for values in &p.addresses {
            let a = self.out.node();
            self.out.add(node, address, a.clone());
            self.out.typed(
                &a,
                if vcard {
                    t!(vcard, "Address")
                } else {
                    t!(locn, "Address")
                },
            );
            for (field, value) in fields.iter().zip(values) {
                if !value.is_empty() {
                    self.out
                        .add(&a, *field, oxrdf::Literal::new_simple_literal(value));
                }
            }
        }
    }
}
