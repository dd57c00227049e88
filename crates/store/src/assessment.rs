//! What Alzette says about records besides their content (validation report, quality
//! measurements), and the vocabularies it judges them with.
//!
//! A record's assessment lives in its own graph `{record}/assessment`, not in the record graph:
//! it changes when the shapes or vocabularies change, and rewriting it must not move the
//! record's `dct:modified`. Vocabularies live in `{base}vocabulary/{source}`, one graph per source,
//! queryable like everything else but never listed in a catalogue.

use crate::federation::Federation;
use crate::{
    Operation, RecordKey, RecordStore, StoreError, blank_prefix, relabel_object, relabel_subject,
};
use alzette_vocab::{alz, rdf};
use oxigraph::model::{GraphNameRef, NamedNode, QuadRef, Term, Triple};
use oxigraph::store::StorageError;

/// A record's assessment, ready to store.
pub struct StoredReport {
    pub key: RecordKey,
    /// The resource the record is about.
    pub resource: NamedNode,
    /// Names the report's content and the shapes: the report is rewritten only when it changes.
    pub digest: String,
    /// Names the shapes and background it was made with.
    pub shapes: String,
    /// The `sh:ValidationReport` about the node [`RecordStore::assessment_graph`], and the
    /// quality measurements about the resource.
    pub triples: Vec<Triple>,
}

impl RecordStore {
    /// The graph of a record's assessment, and the node of its validation report.
    pub fn assessment_graph(&self, source: &str, key: &RecordKey) -> NamedNode {
        self.iris.assessment(source, key)
    }

    /// Stores the reports whose digest differs from the stored one, in one transaction;
    /// returns how many were written.
    pub fn put_reports(&self, source: &str, reports: &[StoredReport]) -> Result<usize, StoreError> {
        let _one_writer = self.write_lock.lock().expect("write lock");
        self.ensure_federation()?;
        let federation = self.federation.read().expect("federation lock");
        let written = self
            .write_reports(source, reports, federation.as_ref())
            .map_err(self.failed(Operation::WriteReports))?;
        if written > 0 {
            self.changed();
        }
        Ok(written)
    }

    /// The reports' transaction; a published record's report is in the published view too.
    fn write_reports(
        &self,
        source: &str,
        reports: &[StoredReport],
        federation: Option<&Federation>,
    ) -> Result<usize, StorageError> {
        let mut written = 0;
        let mut tx = self.store.start_transaction()?;
        for report in reports {
            let graph = self.iris.assessment(source, &report.key);
            let g = GraphNameRef::from(&graph);
            let stored = tx
                .quads_for_pattern(
                    Some((&graph).into()),
                    Some(alz::REPORT_DIGEST),
                    None,
                    Some(g),
                )
                .next()
                .transpose()?;
            if matches!(stored, Some(q) if matches!(&q.object, Term::Literal(l) if l.value() == report.digest))
            {
                continue;
            }
            let published = federation.filter(|f| f.is_published(source, &report.key));
            let old = match published {
                Some(_) => Self::graph_triples(&tx, &graph)?,
                None => Vec::new(),
            };
            tx.remove_named_graph(&graph)?;
            // The record's blank nodes are stored relabelled (see `build_record_quads`); the
            // report names them the same way, so that its focus nodes join with the record.
            let prefix = blank_prefix(&report.key);
            for t in &report.triples {
                let (s, o) = (
                    relabel_subject(&t.subject, &prefix),
                    relabel_object(&t.object, &prefix),
                );
                tx.insert(QuadRef::new(&s, &t.predicate, &o, g));
            }
            tx.insert(QuadRef::new(
                &graph,
                alz::VALIDATION_OF,
                &report.resource,
                g,
            ));
            let digest = oxigraph::model::Literal::new_simple_literal(&report.digest);
            tx.insert(QuadRef::new(&graph, alz::REPORT_DIGEST, &digest, g));
            let shapes = oxigraph::model::Literal::new_simple_literal(&report.shapes);
            tx.insert(QuadRef::new(&graph, alz::SHAPES, &shapes, g));
            if let Some(federation) = published {
                let new: std::collections::HashSet<Triple> =
                    Self::graph_triples(&tx, &graph)?.into_iter().collect();
                self.publish_triples(&mut tx, &new);
                let gone: Vec<Triple> = old.into_iter().filter(|t| !new.contains(t)).collect();
                self.withdraw_triples(&mut tx, federation, &gone)?;
            }
            written += 1;
        }
        tx.commit()?;
        Ok(written)
    }

    /// Replaces a vocabulary source's triples; returns how many are stored.
    pub fn replace_vocabulary(
        &self,
        source: &str,
        triples: &[Triple],
    ) -> Result<usize, StoreError> {
        let graph = self.iris.vocabulary(source);
        let failed = self.failed(Operation::ReplaceVocabulary);
        let _one_writer = self.write_lock.lock().expect("write lock");
        self.ensure_federation()?;
        let federation = self.federation.read().expect("federation lock");
        let mut new: Vec<Triple> = triples.to_vec();
        new.push(Triple::new(graph.clone(), rdf::TYPE, alz::VOCABULARY));
        self.replace_contributing_graph(&graph, &new, federation.as_ref())
            .map_err(&failed)?;
        self.changed();
        Ok(triples.len())
    }

    /// A vocabulary source's triples (empty before its first harvest).
    pub fn vocabulary(&self, source: &str) -> Result<Vec<Triple>, StoreError> {
        let graph = self.iris.vocabulary(source);
        let marker = QuadRef::new(
            &graph,
            rdf::TYPE,
            alz::VOCABULARY,
            GraphNameRef::from(&graph),
        );
        let mut triples = Vec::new();
        for q in self
            .store
            .quads_for_pattern(None, None, None, Some(GraphNameRef::from(&graph)))
        {
            let q = q.map_err(self.failed(Operation::ReadVocabulary))?;
            if q.as_ref() != marker {
                triples.push(Triple::new(q.subject, q.predicate, q.object));
            }
        }
        Ok(triples)
    }
}
