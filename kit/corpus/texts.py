"""Sentences for the text-to-speech voices (written for this kit; no third-party text)."""

SENTENCES: dict[str, list[str]] = {
    "en": [
        "The weather report for tomorrow promises rain in the morning and sunshine later in the day.",
        "Please remember to bring your notebook, because we will start a new chapter after the break.",
        "The train to the coast leaves at half past nine from platform number four.",
        "She opened the window, listened to the birds for a while, and then went back to work.",
        "Our results show that the new method is faster, but it also needs more memory.",
        "If you have any questions about the assignment, send a short message to the teaching assistant.",
        "Yesterday the library was closed, so we met in the small cafe near the river instead.",
        "A good experiment starts with a clear question and a simple way to measure the answer.",
    ],
    "de": [
        "Der Zug nach Hamburg hat heute leider zwanzig Minuten Verspätung.",
        "Morgen früh treffen wir uns vor dem Rathaus und gehen gemeinsam zum Markt.",
        "Bitte schalten Sie Ihre Telefone aus, die Vorlesung beginnt in wenigen Minuten.",
        "Im Sommer fahren viele Familien an die Ostsee oder in die Berge.",
        "Die Ergebnisse der Messung werden am Freitag in der Gruppe besprochen.",
    ],
    "fr": [
        "Le train pour Lyon partira avec un léger retard ce matin.",
        "Nous avons visité le musée, puis nous avons déjeuné sur une petite place ensoleillée.",
        "Pouvez-vous me dire où se trouve la bibliothèque de l'université, s'il vous plaît?",
        "Les enfants jouent dans le jardin pendant que leurs parents préparent le dîner.",
        "La réunion de demain est reportée à la semaine prochaine.",
    ],
    "es": [
        "Mañana por la mañana vamos a salir temprano para evitar el tráfico.",
        "El mercado de la plaza abre todos los sábados desde las ocho.",
        "Me gustaría reservar una mesa para cuatro personas esta noche.",
        "Los estudiantes presentaron sus proyectos delante de toda la clase.",
        "Después de la lluvia, el parque estaba lleno de gente paseando.",
    ],
    "it": [
        "Domani pomeriggio andiamo al mare con gli amici di mio fratello.",
        "Il treno per Roma parte dal binario tre tra dieci minuti.",
        "La biblioteca resta aperta fino alle sette di sera durante la settimana.",
        "Abbiamo mangiato una pizza buonissima in una piccola trattoria del centro.",
    ],
    "pt": [
        "Amanhã vamos visitar os meus avós que moram perto da praia.",
        "O autocarro para o centro da cidade passa de quinze em quinze minutos.",
        "Esta tarde a professora explicou a matéria com muitos exemplos práticos.",
        "Depois do jantar, fomos dar um passeio pelo jardim da cidade.",
    ],
    "nl": [
        "Morgen gaan we met de fiets naar het strand als het niet regent.",
        "De trein naar Amsterdam vertrekt over vijf minuten van spoor twee.",
        "Ik heb gisteren een interessant boek gelezen over de geschiedenis van de stad.",
        "Na de les drinken we samen koffie in de kantine.",
    ],
    "sv": [
        "I morgon ska vi åka ut till skärgården om vädret tillåter.",
        "Bussen till centrum går var tionde minut under rusningstid.",
        "Hon läste en bok i soffan medan det regnade ute.",
        "Vi ses på biblioteket efter lunch för att plugga tillsammans.",
    ],
    "pl": [
        "Jutro rano pojedziemy pociągiem do Krakowa na cały dzień.",
        "W sobotę na rynku można kupić świeże warzywa i owoce.",
        "Proszę zamknąć okno, bo zrobiło się bardzo zimno.",
        "Po obiedzie poszliśmy na długi spacer wzdłuż rzeki.",
    ],
    "fi": [
        "Huomenna aamulla lähdemme mökille järven rannalle.",
        "Bussi keskustaan lähtee kymmenen minuutin välein.",
        "Kirjasto on avoinna arkisin kahdeksaan asti illalla.",
        "Illalla söimme yhdessä ja katsoimme vanhoja valokuvia.",
    ],
    "cs": [
        "Zítra ráno pojedeme vlakem do Brna na návštěvu.",
        "Knihovna je otevřená každý den od devíti do šesti.",
        "Po večeři jsme šli na procházku do parku u řeky.",
        "Prosím, zavřete dveře, venku je velká zima.",
    ],
    "ru": [
        "Завтра утром мы поедем на поезде в Санкт-Петербург.",
        "Библиотека работает каждый день с девяти утра до восьми вечера.",
        "После ужина мы долго гуляли по набережной.",
        "Пожалуйста, закройте окно, на улице очень холодно.",
    ],
    "el": [
        "Αύριο το πρωί θα πάμε στη θάλασσα με τους φίλους μας.",
        "Το λεωφορείο για το κέντρο περνάει κάθε δέκα λεπτά.",
        "Μετά το φαγητό κάναμε μια μεγάλη βόλτα στο πάρκο.",
    ],
    "tr": [
        "Yarın sabah erkenden deniz kenarına gideceğiz.",
        "Otobüs şehir merkezine her on dakikada bir kalkıyor.",
        "Akşam yemeğinden sonra parkta uzun bir yürüyüş yaptık.",
    ],
    "hu": [
        "Holnap reggel vonattal megyünk a Balatonhoz.",
        "A könyvtár minden nap reggel kilenctől este hatig van nyitva.",
        "Vacsora után hosszú sétát tettünk a folyóparton.",
    ],
}

# espeak-ng voice per language key (espeak-ng language names).
ESPEAK_LANG = {
    "en": ["en-us", "en", "en-gb-scotland", "en-gb-x-rp", "en-029"],
    "de": ["de"], "fr": ["fr", "fr-be"], "es": ["es", "es-419"], "it": ["it"], "pt": ["pt", "pt-br"],
    "nl": ["nl"], "sv": ["sv"], "pl": ["pl"], "fi": ["fi"], "cs": ["cs"], "ru": ["ru"],
    "el": ["el"], "tr": ["tr"], "hu": ["hu"],
}
