//! The published view — the store's default graph: every triple of the published records, their
//! assessments, the catalogues' descriptions and the vocabularies, each **once** — the SPARQL
//! default graph, a set however many record graphs repeat a triple (a publisher's name in each
//! of its datasets' records).
//!
//! Kept up to date by every write, in the same transaction (or, for new records, the same bulk
//! load) as the graphs it mirrors: a graph's triples are added when it starts to contribute
//! (a record written or published again), and a triple leaves only when no contributing graph
//! holds it any more (quads with the same triple are adjacent in the store's indexes: one
//! short scan per triple). Blank nodes are relabelled per record, so they are never shared.
//!
//! Two markers in the view itself: the federation rules it was made with, and a pending mark
//! a bulk load sets and the write after it clears. A store opened with either wrong (another
//! rule, a crash between the two, a store from before the view existed) rebuilds the view from
//! the records when the federation is first worked out.

use crate::federation::{Federation, FederationRules, Publication};
use crate::iris::GraphKind;
use crate::{Operation, RecordKey, RecordStore, StoreError};
use alzette_dcat::RecordGraph;
use alzette_vocab::alz;
use oxigraph::model::{GraphName, GraphNameRef, Literal, NamedNode, Quad, QuadRef, Triple};
use oxigraph::store::{StorageError, Transaction};
use std::collections::HashSet;

impl RecordStore {
    /// Whether `graph` contributes to the published view: a live, published record, its
    /// assessment, a catalogue description or a vocabulary.
    pub(crate) fn contributes(&self, federation: &Federation, graph: &GraphName) -> bool {
        let GraphName::NamedNode(g) = graph else {
            return false;
        };
        match self.iris.graph_kind(g.as_str()) {
            GraphKind::Record(source, key) | GraphKind::Assessment(source, key) => {
                federation.publishes(source, &key)
            }
            GraphKind::Catalog | GraphKind::Vocabulary => true,
            GraphKind::Other => false,
        }
    }

    /// Adds triples to the published view.
    pub(crate) fn publish_triples<'t>(
        &self,
        tx: &mut Transaction<'_>,
        triples: impl IntoIterator<Item = &'t Triple>,
    ) {
        for t in triples {
            tx.insert(QuadRef::new(
                &t.subject,
                &t.predicate,
                &t.object,
                GraphNameRef::DefaultGraph,
            ));
        }
    }

    /// Takes triples out of the published view, but those another contributing graph still
    /// holds.
    pub(crate) fn withdraw_triples<'t>(
        &self,
        tx: &mut Transaction<'_>,
        federation: &Federation,
        triples: impl IntoIterator<Item = &'t Triple>,
    ) -> Result<(), StorageError> {
        for t in triples {
            let mut held = false;
            for q in tx.quads_for_pattern(
                Some(t.subject.as_ref()),
                Some(t.predicate.as_ref()),
                Some(t.object.as_ref()),
                None,
            ) {
                let q = q?;
                // The view itself is the default graph, which `contributes` never counts.
                if self.contributes(federation, &q.graph_name) {
                    held = true;
                    break;
                }
            }
            if !held {
                tx.remove(QuadRef::new(
                    &t.subject,
                    &t.predicate,
                    &t.object,
                    GraphNameRef::DefaultGraph,
                ));
            }
        }
        Ok(())
    }

    /// The triples of a graph, read in a transaction.
    pub(crate) fn graph_triples(
        tx: &Transaction<'_>,
        graph: &NamedNode,
    ) -> Result<Vec<Triple>, StorageError> {
        tx.quads_for_pattern(None, None, None, Some(graph.into()))
            .map(|q| q.map(Triple::from))
            .collect()
    }

    /// After a record's publication changed: its record and assessment graphs join the view or
    /// leave it.
    pub(crate) fn republish(
        &self,
        tx: &mut Transaction<'_>,
        federation: &Federation,
        source: &str,
        key: &RecordKey,
        published: bool,
    ) -> Result<(), StorageError> {
        for graph in [
            self.iris.record(source, key),
            self.iris.assessment(source, key),
        ] {
            let triples = Self::graph_triples(tx, &graph)?;
            if published {
                self.publish_triples(tx, &triples);
            } else {
                self.withdraw_triples(tx, federation, &triples)?;
            }
        }
        Ok(())
    }

    /// Replaces a graph that always contributes (a vocabulary, a catalogue's description) with
    /// `triples`, in one transaction with the view's upkeep.
    pub(crate) fn replace_contributing_graph(
        &self,
        graph: &NamedNode,
        triples: &[Triple],
        federation: Option<&Federation>,
    ) -> Result<(), StorageError> {
        let mut tx = self.store.start_transaction()?;
        self.replace_contributing_in(&mut tx, graph, triples, federation)?;
        tx.commit()
    }

    /// [`RecordStore::replace_contributing_graph`] in a transaction of the caller's.
    pub(crate) fn replace_contributing_in(
        &self,
        tx: &mut Transaction<'_>,
        graph: &NamedNode,
        triples: &[Triple],
        federation: Option<&Federation>,
    ) -> Result<(), StorageError> {
        let old = match federation {
            Some(_) => Self::graph_triples(tx, graph)?,
            None => Vec::new(),
        };
        tx.clear_graph(graph)?;
        for t in triples {
            tx.insert(QuadRef::new(&t.subject, &t.predicate, &t.object, graph));
        }
        if let Some(federation) = federation {
            let new: HashSet<&Triple> = triples.iter().collect();
            self.publish_triples(tx, triples);
            let gone: Vec<Triple> = old.into_iter().filter(|t| !new.contains(t)).collect();
            self.withdraw_triples(tx, federation, &gone)?;
        }
        Ok(())
    }

    /// What follows a bulk load of new records, in one transaction: stored records published or
    /// shadowed by them join or leave the published view, and the pending mark goes.
    pub(crate) fn after_bulk_load(
        &self,
        federation: &Federation,
        source: &str,
        records: &[RecordGraph],
        publications: &[Publication],
    ) -> Result<(), StorageError> {
        let new: HashSet<RecordKey> = records.iter().map(|r| r.key).collect();
        let mut tx = self.store.start_transaction()?;
        for p in publications {
            if &*p.source != source || !new.contains(&p.key) {
                self.republish(&mut tx, federation, &p.source, &p.key, p.published)?;
            }
        }
        self.clear_pending(&mut tx);
        tx.commit()
    }

    /// The quad that says a bulk load's follow-up has not run yet.
    pub(crate) fn pending_mark(&self) -> Quad {
        Quad::new(
            self.iris.published(),
            alz::PENDING,
            Literal::new_simple_literal("1"),
            GraphName::DefaultGraph,
        )
    }

    /// Whether the view was made with `rules` and completed; otherwise it is rebuilt.
    pub(crate) fn view_is_current(&self, rules: &FederationRules) -> Result<bool, StorageError> {
        let view = self.iris.published();
        if self.store.contains(&self.pending_mark())? {
            return Ok(false);
        }
        let digest = Literal::new_simple_literal(rules.digest());
        self.store.contains(QuadRef::new(
            &view,
            alz::FEDERATION_RULES,
            &digest,
            GraphNameRef::DefaultGraph,
        ))
    }

    /// Rebuilds the view from the graphs that contribute to it: for a store from before the
    /// view, after other federation rules, or after a crash between a bulk load and its
    /// follow-up. One scan of the store (graph by graph) into Oxigraph's bulk loader.
    pub(crate) fn rebuild_view(&self, federation: &Federation) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let failed = self.failed(Operation::RebuildView);
        self.store
            .clear_graph(GraphNameRef::DefaultGraph)
            .map_err(&failed)?;
        // The scan goes graph by graph: whether a graph contributes is worked out once.
        let mut current: Option<(NamedNode, bool)> = None;
        let mut read_error = None;
        let mut copied = 0u64;
        let quads = self.store.iter().filter_map(|q| {
            let q = match q {
                Ok(q) => q,
                Err(e) => {
                    read_error.get_or_insert(e);
                    return None;
                }
            };
            let GraphName::NamedNode(g) = &q.graph_name else {
                return None;
            };
            let contributes = match &current {
                Some((graph, contributes)) if graph == g => *contributes,
                _ => {
                    let contributes = self.contributes(federation, &q.graph_name);
                    current = Some((g.clone(), contributes));
                    contributes
                }
            };
            contributes.then(|| {
                copied += 1;
                Quad::new(q.subject, q.predicate, q.object, GraphName::DefaultGraph)
            })
        });
        let mut loader = self
            .store
            .bulk_loader()
            .with_num_threads(2)
            .with_max_memory_size_in_megabytes(crate::write::BULK_LOAD_MEMORY_MB);
        loader.load_quads(quads).map_err(&failed)?;
        if let Some(e) = read_error {
            return Err(failed(e));
        }
        loader.commit().map_err(&failed)?;
        let view = self.iris.published();
        let mut tx = self.store.start_transaction().map_err(&failed)?;
        let digest = Literal::new_simple_literal(federation.rules.digest());
        tx.insert(QuadRef::new(
            &view,
            alz::FEDERATION_RULES,
            &digest,
            GraphNameRef::DefaultGraph,
        ));
        tx.commit().map_err(&failed)?;
        tracing::info!(quads = copied, took = ?started.elapsed(), "published view rebuilt");
        Ok(())
    }

    /// Clears the pending mark after a bulk load's follow-up (in its transaction).
    pub(crate) fn clear_pending(&self, tx: &mut Transaction<'_>) {
        tx.remove(&self.pending_mark());
    }

    /// The records among `keys` that are published now.
    pub(crate) fn published_among<'k>(
        federation: &Federation,
        source: &str,
        keys: impl IntoIterator<Item = &'k RecordKey>,
    ) -> HashSet<RecordKey> {
        keys.into_iter()
            .filter(|k| federation.publishes(source, k))
            .copied()
            .collect()
    }
}
