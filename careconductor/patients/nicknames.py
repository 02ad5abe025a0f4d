"""Given names and the short forms people register under (issue 17 §3): "Bob" at the front desk is Robert on
the hospital's papers, "Lupe" is Guadalupe, "Pepe" is José. The duplicate check at registration and the patient
search treat the names of one row as the same name.

A small, well-known list of English and Spanish equivalents, written folded (lower case, no accents, as
`rules.fold` writes them). Kept short on purpose: names that stand for a man's and a woman's name ("Chris":
Christopher, Christina) are left out, so the check warns of likely duplicates, not of everyone."""

from __future__ import annotations

from functools import cache

from .rules import fold

# The formal name first, then the names it goes by.
NAME_GROUPS: tuple[tuple[str, ...], ...] = (
    # English
    ("robert", "bob", "bobby", "rob", "robbie"),
    ("william", "bill", "billy", "will", "willie", "liam"),
    ("margaret", "peggy", "maggie", "meg", "marge", "margie"),
    ("elizabeth", "liz", "beth", "betty", "betsy", "lizzie", "eliza"),
    ("richard", "dick", "rick", "ricky", "rich"),
    ("james", "jim", "jimmy", "jamie"),
    ("john", "jack", "johnny"),
    ("joseph", "joe", "joey"),
    ("thomas", "tom", "tommy"),
    ("charles", "charlie", "chuck"),
    ("edward", "ed", "eddie", "ted", "ned"),
    ("michael", "mike", "mikey"),
    ("anthony", "tony"),
    ("daniel", "dan", "danny"),
    ("david", "dave", "davey"),
    ("katherine", "kate", "kathy", "katie", "kitty"),
    ("catherine", "cathy", "cate"),
    ("patricia", "patty", "trish"),
    ("deborah", "debbie", "deb"),
    ("susan", "sue", "susie"),
    ("barbara", "barb", "babs"),
    ("dorothy", "dot", "dottie"),
    ("jennifer", "jen", "jenny"),
    ("rebecca", "becky", "becca"),
    ("theodore", "theo"),
    ("lawrence", "larry"),
    ("gerald", "jerry"),
    ("harold", "harry", "hal"),
    ("henry", "hank"),
    ("frances", "fran", "frannie"),
    ("virginia", "ginny", "ginger"),
    ("alexander", "alex"),
    ("samuel", "sam", "sammy"),
    ("benjamin", "ben", "benny"),
    ("nicholas", "nick", "nicky"),
    ("steven", "steve"),
    ("stephen", "steve"),
    ("donald", "don", "donnie"),
    ("ronald", "ron", "ronnie"),
    ("kenneth", "ken", "kenny"),
    ("walter", "walt", "wally"),
    ("eugene", "gene"),
    # Spanish
    ("jose", "pepe", "chepe"),
    ("francisco", "paco", "pancho", "cisco", "kiko"),
    ("guadalupe", "lupe", "lupita"),
    ("jesus", "chucho", "chuy"),
    ("enrique", "kike", "quique"),
    ("ignacio", "nacho"),
    ("manuel", "manolo", "manny", "meme"),
    ("alberto", "beto"),
    ("roberto", "beto", "tito"),
    ("eduardo", "lalo", "eddie"),
    ("rosario", "chayo"),
    ("concepcion", "concha", "conchita"),
    ("dolores", "lola", "lolita"),
    ("mercedes", "meche"),
    ("consuelo", "chelo"),
    ("graciela", "chela"),
    ("soledad", "sole", "chole"),
    ("refugio", "cuca", "cuco"),
    ("isabel", "chabela", "isa"),
    ("josefina", "pepa", "fina", "chepina"),
    ("guillermo", "memo", "willy"),
    ("alejandro", "alex", "alejo"),
    ("antonio", "tono", "tony"),
    ("rafael", "rafa"),
    ("gregorio", "goyo"),
    ("luis", "lucho", "wicho"),
    ("jorge", "coque"),
    ("maria", "mari", "maruca"),
    ("ana", "anita"),
)


@cache
def _index() -> dict[str, frozenset[str]]:
    # A name stands for every name of every row it is in: "beto" for Alberto and Roberto. Two formal names are
    # never one another's equivalent through a nickname they share (Alberto is not Roberto).
    index: dict[str, set[str]] = {}
    for group in NAME_GROUPS:
        for name in group:
            index.setdefault(name, set()).update(group)
    return {name: frozenset(names) for name, names in index.items()}


def same_name(given: str) -> frozenset[str]:
    """The given name and the names it is the same as, folded: "Lupe" → {guadalupe, lupe, lupita};
    "Beto" → Alberto's and Roberto's names; a name not in the table → itself alone."""
    folded = fold(given)
    return _index().get(folded, frozenset({folded} if folded else ()))
