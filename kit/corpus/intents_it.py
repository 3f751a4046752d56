"""Italian utterances for the ITALIC stand-in (written for this kit): 10 intents of the MASSIVE set,
8 templates each, and the slot values that fill them.

Each template names its slots in braces; ``utterance`` fills them from ``SLOTS`` with the clip's
random generator, so the same template is heard with many values and voices, and a model has to
learn the intent, not a sentence.
"""

from __future__ import annotations

import re

import numpy as np

# intent -> (MASSIVE scenario, templates)
INTENTS: dict[str, tuple[str, list[str]]] = {
    "alarm_set": ("alarm", [
        "svegliami alle {ora}", "metti una sveglia alle {ora}", "imposta la sveglia per le {ora} di {giorno}",
        "puoi svegliarmi {giorno} alle {ora}", "voglio una sveglia alle {ora}",
        "aggiungi una sveglia per {giorno} alle {ora}", "sveglia alle {ora} per favore",
        "ricordati di svegliarmi alle {ora}"]),
    "alarm_remove": ("alarm", [
        "cancella la sveglia delle {ora}", "togli la sveglia di {giorno}", "elimina tutte le sveglie",
        "non voglio più la sveglia delle {ora}", "rimuovi la sveglia impostata per {giorno}",
        "disattiva la sveglia delle {ora}", "spegni la sveglia di {giorno} mattina",
        "annulla la sveglia che ho messo per le {ora}"]),
    "weather_query": ("weather", [
        "che tempo fa a {città}", "pioverà {giorno} a {città}", "com'è il meteo per {giorno}",
        "quanti gradi ci sono a {città}", "mi serve l'ombrello {giorno}",
        "dimmi le previsioni del tempo per {città}", "farà freddo {giorno} sera", "c'è il sole a {città} {giorno}"]),
    "play_music": ("play", [
        "metti un po' di musica {genere}", "fammi ascoltare {artista}", "riproduci la mia playlist {genere}",
        "suona una canzone di {artista}", "voglio sentire musica {genere}", "accendi la musica in {stanza}",
        "fai partire l'ultimo album di {artista}", "metti la radio con musica {genere}"]),
    "calendar_set": ("calendar", [
        "segna in agenda una riunione {giorno} alle {ora}", "aggiungi al calendario la cena con {persona} {giorno}",
        "ricordami l'appuntamento dal dentista {giorno}", "crea un evento {giorno} alle {ora}",
        "fissa un incontro con {persona} alle {ora}", "metti in calendario il compleanno di {persona}",
        "prenota nel calendario la palestra per {giorno}", "inserisci un impegno per {giorno} alle {ora}"]),
    "lists_createoradd": ("lists", [
        "aggiungi {cibo} alla lista della spesa", "metti {cibo} nella lista", "crea una nuova lista per {evento}",
        "scrivi {cibo} sulla lista della spesa", "devo comprare {cibo}, aggiungilo alla lista",
        "inserisci {cibo} tra le cose da comprare", "fai una lista delle cose da fare per {evento}",
        "aggiungi anche {cibo} e {cibo2} alla lista"]),
    "iot_hue_lightoff": ("iot", [
        "spegni la luce in {stanza}", "spegni tutte le luci", "puoi spegnere le luci in {stanza}",
        "luci spente in {stanza} per favore", "togli la luce in {stanza}", "spegni la lampada in {stanza}",
        "fai buio in {stanza}", "disattiva tutte le luci di casa"]),
    "news_query": ("news", [
        "quali sono le notizie di oggi", "dimmi le ultime notizie su {tema}", "cosa dicono i giornali su {tema}",
        "leggimi i titoli del giorno", "ci sono novità su {tema}", "aggiornami sulle notizie di {città}",
        "che notizie ci sono sul {tema2}", "raccontami le notizie principali di {giorno}"]),
    "transport_ticket": ("transport", [
        "comprami un biglietto del treno per {città}", "prenota un biglietto per {città} per {giorno}",
        "voglio un biglietto di andata e ritorno per {città}", "acquista due biglietti dell'autobus",
        "prendi un biglietto del treno delle {ora} per {città}", "ho bisogno di un biglietto per {città}",
        "compra il biglietto della metro per {giorno}", "fammi il biglietto del pullman per {città}"]),
    "datetime_query": ("datetime", [
        "che ore sono", "che giorno è oggi", "dimmi l'ora esatta", "che ore sono a {città}",
        "quanti ne abbiamo oggi", "in che giorno cade {festa}", "che data è {giorno}", "mi dici che ora è adesso"]),
}

SLOTS: dict[str, list[str]] = {
    "ora": ["sette", "sette e mezza", "otto e un quarto", "sei", "nove meno un quarto", "dieci", "cinque e trenta",
            "mezzogiorno", "undici", "sei e venti", "otto", "quattro del pomeriggio"],
    "giorno": ["domani", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica",
               "dopodomani", "oggi"],
    "città": ["Roma", "Milano", "Napoli", "Torino", "Bologna", "Firenze", "Venezia", "Palermo", "Bari", "Genova",
              "Trento", "Cagliari", "Verona", "Perugia"],
    "genere": ["jazz", "rock", "classica", "pop", "rilassante", "degli anni ottanta", "italiana", "da ballare"],
    "artista": ["Vasco Rossi", "Mina", "Lucio Dalla", "Laura Pausini", "Ligabue", "Fabrizio De André", "Elisa",
                "Zucchero", "Franco Battiato", "Giorgia"],
    "persona": ["Marco", "Giulia", "la nonna", "Luca", "Francesca", "mio fratello", "Anna", "Paolo", "Chiara"],
    "cibo": ["il latte", "le uova", "il pane", "due mele", "la pasta", "il caffè", "i pomodori", "lo zucchero",
             "il formaggio", "le patate", "l'olio", "il riso"],
    "cibo2": ["le banane", "il burro", "la farina", "il tonno", "le carote", "lo yogurt"],
    "evento": ["la festa", "il viaggio", "il trasloco", "il fine settimana", "la gita", "le vacanze"],
    "stanza": ["cucina", "camera da letto", "salotto", "bagno", "corridoio", "studio", "sala da pranzo"],
    "tema": ["lo sport", "la politica", "l'economia", "la scuola", "il calcio", "la tecnologia", "la salute"],
    "tema2": ["calcio", "traffico", "lavoro", "cinema", "tennis"],
    "festa": ["Natale", "Pasqua", "Ferragosto", "il mio compleanno", "capodanno", "la festa della mamma"],
}

_SLOT = re.compile(r"\{(\w+)\}")


def utterance(template: str, rng: np.random.Generator) -> str:
    """``template`` with every slot filled with a random value (a fixed number of draws per slot)."""
    return _SLOT.sub(lambda match: str(rng.choice(SLOTS[match.group(1)])), template)
