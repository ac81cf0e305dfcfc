"""Figures: each number paired with what it counts and the event around it, on real sentences of the sources,
and the question side: what kind of figure it asks for, about which event."""

from __future__ import annotations

import pytest

from qa.figures import asked, charges, disagree, figures_in, matches, of_asked_kind
from qa.question import analyze, question_kind

DEATHS = "How many servicemen died as a result of torture?"


def figure(text: str, value: str):
    found = [f for f in figures_in(text) if f.value == value]
    assert len(found) == 1, (value, figures_in(text))
    return found[0]


@pytest.mark.parametrize("sentence, value, kind, unit, event", [
    ("At least 13 servicemen died as a result of torture, 5 of whom were not prosecuted.", "13", "count",
     "servicemen", "death"),
    ("During these interrogations 9 people were tortured to death, 25 people sentenced to long terms of "
     "imprisonment.", "9", "count", "people", "death"),
    ("During these interrogations 9 people were tortured to death, 25 people sentenced to long terms of "
     "imprisonment.", "25", "count", "people", "conviction"),
    ("However, an investigation soon revealed that at least eight suspects had died as a result of torture.",
     "8", "count", "suspects", "death"),
    ("In 2021, the Parliamentary Assembly of the Council of Europe stated that more than 200 servicemen had been "
     "victims of torture in this case, with 11 dying.", "200", "count", "servicemen", "torture"),
    ("In 2021, the Parliamentary Assembly of the Council of Europe stated that more than 200 servicemen had been "
     "victims of torture in this case, with 11 dying.", "11", "count", "", "death"),
    ("In a PACE document published by Turan, twenty-five people were convicted of high treason based on "
     "information obtained under torture and sentenced to seven to twenty years in prison.", "25", "count", "people",
     "conviction"),
    ("As a result, 20 people convicted of treason, as well as 16 individuals who were convicted under other "
     "articles of the Criminal Code, were acquitted.", "16", "count", "individuals", "acquittal"),
    ("Hundreds of soldiers and officers serving in Terter, Agdam, Beylagan and other directions suffered.",
     "hundreds", "count", "soldiers", "torture"),
    # the noun counted ("victims") is read after the clause's verb: what the authorities did is admit them
    ("The Azerbaijani authorities admitted only 102 victims, but no one received compensation for the damage "
     "caused.", "102", "count", "victims", "acknowledgement"),
    # whom the clause a date opens is about ("victims") is not what happened on that date
    ("On December 7, victims of the “Tartar case” and their relatives gathered in Baku, in front of the "
     "Presidential Administration building.", "--12-07", "date", "", "protest"),
])
def test_a_figure_is_paired_with_what_it_counts_and_the_event_next_to_it(sentence, value, kind, unit, event):
    found = figure(sentence, value)
    assert (found.kind, found.unit, found.events[0]) == (kind, unit, event)
    assert sentence[found.start:found.end] == found.text  # offsets point at the figure as written


def test_ranges_durations_ages_and_article_numbers_are_not_counts_of_people():
    kinds = {f.value: f.kind for f in figures_in(
        "In a PACE document published by Turan, twenty-five people were convicted of high treason based on "
        "information obtained under torture and sentenced to seven to twenty years in prison.")}
    assert kinds == {"25": "count", "P7Y/P20Y": "duration"}
    assert [(f.kind, f.value) for f in figures_in("the young general (48 years old) and hero")] == [("age", "48")]
    assert {(f.kind, f.value) for f in figures_in(
        "341.2.2 (abuse of power), 341.2.3, and 128 (intentional harm to health)")} == {
        ("identifier", "341.2.2"), ("identifier", "341.2.3"), ("identifier", "128")}
    assert [(f.kind, f.value) for f in figures_in("The corresponding document No. 1551 was published on June 25, "
                                                  "2021 on the PACE website.")] == [
        ("identifier", "1551"), ("date", "2021-06-25")]
    not_prosecuted = figure("At least 13 servicemen died as a result of torture, 5 of whom were not prosecuted.", "5")
    assert not_prosecuted.events == ()  # a negated verb says nothing happened to them


def test_dates_are_normalised_and_a_late_date_belongs_to_the_event_it_follows_closely():
    assert figure("On November 1, 2021, the Azerbaijani Prosecutor General’s Office officially acknowledged that "
                  "the Terter case involved torture.", "2021-11-01").events[0] == "acknowledgement"
    assert figure("Only in 2021, the country's Military Prosecutor Khanlar Veliyev acknowledged the existence of "
                  "mass tortures.", "2021").events[0] == "acknowledgement"
    # the violence happened in May-June 2017; the acknowledgement came later
    assert "acknowledgement" not in figure("the controlled Prosecutor General’s Office indirectly acknowledged the "
                                           "fact of massive violence in May-June 2017.", "2017-05").events
    same_year = figures_in("In December of the same year, the General Prosecutor's Office acknowledged the tortures.",
                           context_year="2021")
    assert [f.value for f in same_year] == ["2021-12"]
    assert [f.value for f in figures_in("On December 7, victims gathered in Baku.")] == ["--12-07"]


def test_a_date_opening_a_sentence_belongs_to_its_main_clause_past_a_list_of_subjects_not_past_a_when_clause():
    listed = figures_in("In December of the same year, the General Prosecutor's Office, the Interior Ministry and the "
                        "State Security Service acknowledged the tortures and crimes and launched a new investigation.",
                        context_year="2021")
    assert [(f.value, f.events[0]) for f in listed] == [("2021-12", "acknowledgement")]
    again = figure('In 2021, when the "Tartar case" was reopened, they were arrested again.', "2021")
    assert again.events == ()  # the clause after the date is a "when" clause: the 2021 arrest is not this date's


@pytest.mark.parametrize("question, kind", [
    (DEATHS, "count"),
    ("What is the total number of victims in the Tartar case?", "count"),
    ("What is the number of the PACE document on torture in Azerbaijan?", "identifier"),
    ("When did PACE members launch their initiative?", "date"),
    ("According to PACE, how many servicemen died?", "count"),
    ("How old is general Mais Barkhudarov?", "age"),
    ("How many years in prison were those convicted of treason sentenced to?", "duration"),
    ("What prison terms did those convicted of treason receive?", "duration"),
    ("What sentence did Mirhafiz Jafarzadeh receive?", "duration"),
    ("What sentence of the Criminal Code applies?", ""),  # a sentence *of* something is not a prison term
    ("What term best describes the verdicts?", ""),  # a word, not a prison term
    ("What term refers to a forced confession?", ""),
    ("What term did the court give Tofig Hasanov?", "duration"),
    ("Had Hikmat Hasanov already been removed from his post when Mais Barkhudarov was dismissed?", "yesno"),
    ("Who was dismissed as commander of the Second Army Corps?", "person"),
])
def test_the_kind_of_answer_comes_from_the_phrase_that_opens_the_question(question, kind):
    assert question_kind(question) == kind


@pytest.mark.parametrize("question, event, restrictions", [
    (DEATHS, "death", ()),
    ("How many people were tortured to death?", "death", ()),
    ("How many servicemen were tortured?", "torture", ()),
    ("How many of those who died were exonerated after their death?", "acquittal", ("death",)),
    ("How many people convicted under other articles of the Criminal Code were acquitted?", "acquittal",
     ("conviction",)),
    ("How many victims did the Azerbaijani authorities admit?", "acknowledgement", ()),
    ("When did the Azerbaijani authorities acknowledge that the servicemen had been tortured?", "acknowledgement", ()),
    ("What death toll did the Council of Europe give?", "death", ()),
    ("How many defendants in the Tartar case remain in prison?", "", ()),
    ("How many soldiers were exonerated after they died?", "acquittal", ("death",)),
    ("How many were posthumously exonerated?", "acquittal", ("death",)),
    ("How many people were released after their arrest?", "release", ("detention",)),
    ("What number of people did the torture kill?", "death", ()),  # the subject 'the torture' is no event
    ("How many soldiers perished because of the abuse?", "death", ()),
    ("How many servicemen lost their lives under torture?", "death", ()),
    ("How many officers took part in the torture?", "", ()),  # taking part: 'the torture' is a noun, no event
    ("How many servicemen died during the torture?", "death", ()),
    ("How many servicemen suffered torture?", "torture", ()),
    ("In which year was torture acknowledged?", "acknowledgement", ()),  # the subject before the participle
    ("When was the torture admitted by the prosecutors?", "acknowledgement", ()),
    ("How many deaths did the torture cause?", "death", ()),  # 'the torture' is the subject: the deaths are asked
    ("When did the protest in Baku take place?", "protest", ()),  # ... unless the verb only says it happened
    ("What prison terms did those convicted of treason receive?", "conviction", ()),  # 'those convicted' is no noun
    ("How many sentences did the Prosecutor General propose to review?", "", ()),  # sentences reviewed, not given
    ("How many dead servicemen were exonerated?", "acquittal", ("death",)),
    ("How many people were rehabilitated after death?", "acquittal", ("death",)),
    ("How many treason convictions were there?", "conviction", ()),
    ("What was the death toll of the torture in the Tartar case?", "death", ()),
])
def test_the_event_asked_about_is_the_main_verbs(question, event, restrictions):
    wanted = asked(analyze(question))
    assert (wanted.event, wanted.restrictions) == (event, restrictions)


@pytest.mark.parametrize("question, unit, focus", [
    ("How many were jailed for treason in the Terter case?", "", "jailed"),  # no counted noun: the verb
    ("How many treason convictions were there?", "", "treason"),  # a count of events, not of a group
    ("What was the death toll of the torture in the Tartar case?", "", "death"),
    ("How many convicts did the Prosecutor General want the Supreme Court to review?", "convicts", "convicts"),
    ("How many soldiers suffered torture?", "soldiers", "soldiers"),
    ("How many were acquitted?", "", "acquitted"),  # not "cquitted": "a" is an article only as a word
    ("And how many were arrested?", "", "arrested"),
    ("How many victims' relatives protested?", "relatives", "relatives"),  # a possessive counts what follows it
    ("How many of the convicts were officers?", "officers", "officers"),  # a part of the group, by its noun
    ("How many of the accused were acquitted?", "", ""),  # a participle says what happened, not whom is counted
])
def test_what_a_count_counts(question, unit, focus):
    analysed = analyze(question)
    assert (analysed.kind, analysed.unit, analysed.focus) == ("count", unit, focus)


def test_a_figure_matches_only_the_same_kind_event_and_group_of_people():
    deaths = analyze(DEATHS)
    sentence = "At least 13 servicemen died as a result of torture, 5 of whom were not prosecuted."
    assert matches(deaths, figure(sentence, "13"), sentence=sentence)
    assert not matches(deaths, figure(sentence, "5"), sentence=sentence)
    victims = ("In 2021, the Parliamentary Assembly of the Council of Europe stated that more than 200 servicemen had "
               "been victims of torture in this case, with 11 dying.")
    assert not matches(deaths, figure(victims, "200"), sentence=victims)
    assert matches(deaths, figure(victims, "11"), sentence=victims)
    teenagers = analyze("How many teenagers were convicted of treason in the Tartar case?")
    convicted = "It is known so far that 200 people were convicted of treason, including teenagers."
    assert not matches(teenagers, figure(convicted, "200"), sentence=convicted)  # a narrower group is not "people"
    years = "In a PACE document, twenty-five people were convicted and sentenced to seven to twenty years in prison."
    assert [f.value for f in figures_in(years) if matches(deaths, f, sentence=years)] == []


def test_a_conviction_for_one_charge_is_not_a_count_of_convictions_for_another():
    assert charges("30 were sentenced to 12-20 years in prison on charges of treason.") == ("treason",)
    assert charges("twenty-five people were convicted of high treason based on information obtained under torture") \
        == ("treason",)  # "under torture" is how, not what for
    assert charges("25 people sentenced to long terms of imprisonment.") == ()  # a length, not a charge
    torture = analyze("How many officers were convicted for the torture of servicemen?")
    assert (asked(torture).charge, asked(torture).restrictions) == ("tortur", ("torture",))
    treason = "It is known so far that 200 people were convicted of treason in these circumstances."
    assert not matches(torture, figure(treason, "200"), sentence=treason)
    assert matches(analyze("How many people were convicted of treason?"), figure(treason, "200"), sentence=treason)
    abuse = "Four officers were convicted of abuse of power."  # a word of the charge's family is the same charge
    assert matches(torture, figure(abuse, "4"), sentence=abuse)
    plain = "During these interrogations 9 people were tortured to death, 25 people sentenced to long terms."
    people = analyze("How many people were convicted for torture?")
    assert matches(people, figure(plain, "25"), sentence=plain)  # no charge said: any conviction may be meant


def test_those_held_now_and_life_sentences_are_counted_only_where_a_sentence_says_so():
    held = analyze("How many prisoners remain in jail in the Tartar case?")
    assert asked(held).held and asked(analyze("How many were still in prison?")).held
    remain = 'Ten defendants in the "Tartar case" remain in prison.'
    sentenced = "30 were sentenced to 12-20 years in prison on charges of treason."
    assert matches(held, figure(remain, "10"), sentence=remain)
    assert not matches(held, figure(sentenced, "30"), sentence=sentenced)  # sent to prison is not still there
    life = analyze("How many people were sentenced to life imprisonment?")
    assert asked(life).life
    five = "The list also includes five prisoners convicted under the Terter case, one of whom was sentenced to life."
    assert matches(life, figure(five, "5"), sentence=five)
    assert not matches(life, figure(sentenced, "30"), sentence=sentenced)
    assert not asked(analyze("How many people were sentenced?")).life


def test_a_date_of_what_was_said_about_an_event_answers_only_a_question_about_the_saying():
    known = "In 2019, it became known that mass torture and confessions were used against the accused."
    stated = "In 2021, the Parliamentary Assembly of the Council of Europe stated that 11 had died of torture."
    happened = analyze("What year did the torture happen?")
    assert not matches(happened, figure(known, "2019"), sentence=known)
    assert not matches(happened, figure(stated, "2021"), sentence=stated)
    became = analyze("When did it become known that torture was used against the accused?")
    assert asked(became).reported and matches(became, figure(known, "2019"), sentence=known)
    state = "In May 2017, the State Security Service of Azerbaijan announced the detention of servicemen."
    assert figure(state, "2017-05").events[0] == "detention"  # "State" is no "stated"


def test_a_count_of_events_or_of_what_an_event_makes_is_a_count_of_that_event():
    deaths = analyze("What was the number of deaths in the Tartar case?")
    assert (deaths.unit, asked(deaths).event) == ("", "death")  # any group's deaths, not a group called deaths
    victims = analyze("How many victims of torture were there?")
    assert (asked(victims).event, asked(victims).restrictions) == ("torture", ())
    assert asked(analyze("How many victims of torture were acquitted?")).event == "acquittal"


def test_a_leading_date_is_also_the_date_of_a_verb_joined_by_and():
    both = ("In December 2021, the General Prosecutor's Office and the State Security Service acknowledged the "
            "tortures and crimes and launched a new investigation.")
    launched = analyze("When was the new investigation launched?")
    assert matches(launched, figure(both, "2021-12"), sentence=both)
    assert matches(analyze("When did the authorities acknowledge the tortures?"), figure(both, "2021-12"), sentence=both)
    assert not matches(analyze("What year did the torture happen?"), figure(both, "2021-12"), sentence=both)


def test_dates_of_different_things_done_alike_are_no_disagreement():
    from qa.disagreement import FigureRow, one_subject
    from qa.scoring import ScoredSentence

    def row(source_id, text, value):
        return FigureRow(ScoredSentence(source_id, 0, len(text), 1.0, 0.5, 0.5, 1.0, 1.0, text), (figure(text, value),), "")

    published = analyze("When was the report published?")  # no event of a known family
    pace = row("a", "The document No. 1551 was published on June 25, 2021 on the PACE website.", "2021-06-25")
    union = row("b", "On February 12, the Union published a new list containing 357 names.", "--02-12")
    assert one_subject(published, [pace, union]) == []  # a document and a list: two publications
    again = row("b", "The PACE document was published on June 24, 2021.", "2021-06-24")
    assert one_subject(published, [pace, again]) == [pace, again]  # the same document: two versions of a date
    arrested = analyze("When were the servicemen arrested?")  # a known event: its family says what happened
    assert one_subject(arrested, [pace, union]) == [pace, union]


def test_a_percentage_question_is_answered_only_by_a_percentage():
    share = analyze("What percentage of the victims were officers?")
    assert share.kind == "count" and share.asks_share and not analyze("How many victims were officers?").asks_share
    counted = "More than 200 servicemen were victims of torture."
    percent = "About 40% of the victims were officers, and 12 percent were civilians."
    assert not of_asked_kind(share, figure(counted, "200"), counted)
    assert of_asked_kind(share, figure(percent, "40"), percent) and of_asked_kind(share, figure(percent, "12"), percent)


def test_a_count_of_part_of_a_group_answers_only_a_question_about_that_part():
    """"four of whom were exonerated" counts some of the eight who died: no answer to how many were exonerated
    in all (it would be claimed as a disagreement with "20 … were acquitted"), an answer to how many of the
    dead were."""
    sentence = ("During the investigation, eight individuals died as a result of torture, four of whom were "
                "posthumously exonerated.")
    assert [f.partitive for f in figures_in(sentence)] == [False, True]
    assert not matches(analyze("How many people were exonerated?"), figure(sentence, "4"), sentence=sentence)
    assert matches(analyze("How many of those who died were exonerated?"), figure(sentence, "4"), sentence=sentence)
    assert matches(analyze(DEATHS), figure(sentence, "8"), sentence=sentence)
    opening = "Of the eleven killed during the bullying, five were acquitted posthumously."
    assert [f.partitive for f in figures_in(opening)] == [False, True]


def test_a_leading_date_belongs_to_the_main_verb_not_to_a_clause_inside():
    sentence = ("In 2024, the number of political prisoners in Azerbaijan reached its highest level since the country "
                "joined the Council of Europe.")
    assert not matches(analyze("In what year did Azerbaijan join the Council of Europe?"), figure(sentence, "2024"),
                       sentence=sentence)
    assert matches(analyze("In what year did the number of political prisoners reach its highest level?"),
                   figure(sentence, "2024"), sentence=sentence)


def test_sources_disagree_only_when_their_most_specific_values_have_nothing_in_common():
    assert disagree({"a": ["9"], "b": ["13"]})
    assert not disagree({"a": ["11"], "b": ["8", "11"]})  # one source gives both: they share 11
    assert not disagree({"a": ["2021"], "b": ["2021-12"]})  # one says less, not something else
    assert disagree({"a": ["2021", "2021-12"], "b": ["2021-11-01"]})
    assert not disagree({"a": ["hundreds"], "b": ["400"]})
    assert disagree({"a": ["hundreds"], "b": ["400"], "c": ["200"]})
    assert disagree({"a": ["400", "hundreds"], "b": ["200"]})  # a number beside "hundreds" is what it says
    assert not disagree({"a": ["24"]})


@pytest.mark.parametrize("question, matched", [
    ("How many political prisoners were there in September 2024?", ["319", "331"]),  # said for the year asked
    ("How many political prisoners were there in 2019?", []),
    ("How many political prisoners were there?", []),  # no event, no year: nothing says which count is meant
])
def test_a_count_of_the_asked_group_with_no_event_is_the_one_said_for_the_year_asked(question, matched):
    sentence = "By September 2024, the list included 319 individuals, and by December, it had grown to 331."
    analysed = analyze(question)
    assert [f.value for f in figures_in(sentence) if matches(analysed, f, sentence=sentence)] == matched
