//! The IRIs the engine reads and writes.

use oxrdf::NamedNodeRef;

macro_rules! iris {
    ($ns:ident; $($name:ident = $local:literal),* $(,)?) => {
        $(pub const $name: NamedNodeRef<'static> = alzette_vocab::term!($ns, $local);)*
    };
}

pub mod rdf {
    use super::*;
    iris!(rdf;
        TYPE = "type", FIRST = "first", REST = "rest", NIL = "nil", LANG_STRING = "langString",
    );
}

pub mod rdfs {
    use super::*;
    iris!(rdfs; CLASS = "Class", SUB_CLASS_OF = "subClassOf");
}

pub mod owl {
    use super::*;
    iris!(owl; CLASS = "Class");
}

pub mod xsd {
    use super::*;
    iris!(xsd;
        BOOLEAN = "boolean", INTEGER = "integer",
    );
}

pub mod sh {
    use super::*;
    iris!(sh;
        NODE_SHAPE = "NodeShape", PROPERTY_SHAPE = "PropertyShape",
        TARGET_CLASS = "targetClass", TARGET_NODE = "targetNode",
        TARGET_SUBJECTS_OF = "targetSubjectsOf", TARGET_OBJECTS_OF = "targetObjectsOf",
        PATH = "path", INVERSE_PATH = "inversePath", ALTERNATIVE_PATH = "alternativePath",
        ZERO_OR_MORE_PATH = "zeroOrMorePath", ONE_OR_MORE_PATH = "oneOrMorePath",
        ZERO_OR_ONE_PATH = "zeroOrOnePath",
        SEVERITY = "severity", MESSAGE = "message", DEACTIVATED = "deactivated",
        VIOLATION = "Violation", WARNING = "Warning",
        CLASS = "class", DATATYPE = "datatype", NODE_KIND = "nodeKind",
        MIN_COUNT = "minCount", MAX_COUNT = "maxCount",
        MIN_EXCLUSIVE = "minExclusive", MIN_INCLUSIVE = "minInclusive",
        MAX_EXCLUSIVE = "maxExclusive", MAX_INCLUSIVE = "maxInclusive",
        MIN_LENGTH = "minLength", MAX_LENGTH = "maxLength", PATTERN = "pattern", FLAGS = "flags",
        LANGUAGE_IN = "languageIn", UNIQUE_LANG = "uniqueLang",
        EQUALS = "equals", DISJOINT = "disjoint", LESS_THAN = "lessThan",
        LESS_THAN_OR_EQUALS = "lessThanOrEquals",
        NOT = "not", AND = "and", OR = "or", XONE = "xone", NODE = "node", PROPERTY = "property",
        QUALIFIED_VALUE_SHAPE = "qualifiedValueShape", QUALIFIED_MIN_COUNT = "qualifiedMinCount",
        QUALIFIED_MAX_COUNT = "qualifiedMaxCount",
        QUALIFIED_VALUE_SHAPES_DISJOINT = "qualifiedValueShapesDisjoint",
        CLOSED = "closed", IGNORED_PROPERTIES = "ignoredProperties", HAS_VALUE = "hasValue", IN = "in",
        IRI = "IRI", BLANK_NODE = "BlankNode", LITERAL = "Literal",
        BLANK_NODE_OR_IRI = "BlankNodeOrIRI", BLANK_NODE_OR_LITERAL = "BlankNodeOrLiteral",
        IRI_OR_LITERAL = "IRIOrLiteral",
        VALIDATION_REPORT = "ValidationReport", VALIDATION_RESULT = "ValidationResult",
        CONFORMS = "conforms", RESULT = "result", FOCUS_NODE = "focusNode", RESULT_PATH = "resultPath",
        VALUE = "value", RESULT_SEVERITY = "resultSeverity", SOURCE_SHAPE = "sourceShape",
        SOURCE_CONSTRAINT_COMPONENT = "sourceConstraintComponent", RESULT_MESSAGE = "resultMessage", DETAIL = "detail",
    );
}
