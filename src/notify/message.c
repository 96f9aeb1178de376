/* Notification messages: the text from a template in the recipient's language, and the MIME
 * message around it (RFC 5322, RFC 2045-2047): the text as quoted-printable UTF-8, the events
 * as a base64 CSV attachment named after the reference. */
#include "notify/notify.h"

#include "ermes/event.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/template.h"
#include "core/time.h"
#include "incidents/incidents.h"
#include "intake/export.h"

#define MAX_TEMPLATE (64 * 1024)
#define MAX_TEXT (1024 * 1024)
#define MAX_CSV (256u * 1024 * 1024)

/* ---- built-in templates ---------------------------------------------------------------- */

/* A template: the first line is the subject, then a blank line, then the body (as in
 * intelmq-mailgen). ${name} is replaced by the value of name: reference, tlp, org, org_name,
 * group, count, n_events ("12 events"), about ("from FEED" or "of type TYPE"), first, last
 * (UTC), explanations (one line per classification type), attachment (the attachment's file
 * name), attached (the sentence saying how the events are attached, in the words of the format:
 * a CSV line, a JSON array's object or an X-ARF file per event),
 * tlp_text (what the label asks of the reader), mail_from, signature (notify_signature, else
 * mail_from). */
typedef struct builtin {
    const char *lang;
    const char *event, *events;      /* singular, plural */
    const char *from_feed, *of_type; /* "from %s", "of type %s" */
    const char *tlp_text[5];         /* CLEAR .. RED */
    const char *other_type;          /* explanation of a type not in the table */
    const char *text;
    /* Polish: the plural after 2-4 (but 12-14) and their compounds ("2 zdarzenia"; events is
     * then the form after 5 and more, "5 zdarzeń"). NULL in the other languages. */
    const char *events_few;
} builtin_t;

static const builtin_t builtins[] = {
    {"en",
     "event",
     "events",
     "from %s",
     "of type %s",
     {"disclosure is not limited.", "you may share it within your community, not publicly.",
      "you may share it within your organisation and with its clients who need to know.",
      "you may share it within your organisation only, with those who need to know.",
      "for the named recipients only."},
     "see the attached file for the details.",
     "[${reference}] [TLP:${tlp}] ${n_events} ${about} for ${org}\n"
     "\n"
     "Dear ${org_name} team,\n"
     "\n"
     "${digest}between ${first} and ${last} (UTC) our sources reported ${n_events}\n"
     "${about} concerning systems on your networks.\n"
     "${attached}\n"
     "\n"
     "What they are:\n"
     "${explanations}\n"
     "\n"
     "Please check these systems and take the necessary steps. When you reply,\n"
     "keep the reference ${reference} in the subject so that your answer is\n"
     "matched to this notification.\n"
     "\n"
     "This message is TLP:${tlp}: ${tlp_text}\n"
     "\n"
     "Best regards,\n"
     "${signature}\n",
     NULL},
    {"fr",
     "événement",
     "événements",
     "de la source %s",
     "de type %s",
     {"la diffusion n'est pas limitée.",
      "vous pouvez la partager au sein de votre communauté, pas publiquement.",
      "vous pouvez la partager au sein de votre organisation et avec ses clients qui en ont "
      "besoin.",
      "vous pouvez la partager au sein de votre organisation seulement, avec ceux qui en ont "
      "besoin.",
      "réservé aux destinataires nommés."},
     "voir le fichier joint pour le détail.",
     "[${reference}] [TLP:${tlp}] ${n_events} ${about} pour ${org}\n"
     "\n"
     "Madame, Monsieur, chère équipe de ${org_name},\n"
     "\n"
     "${digest}entre le ${first} et le ${last} (UTC), nos sources ont signalé\n"
     "${n_events} ${about} concernant des systèmes de vos réseaux.\n"
     "${attached}\n"
     "\n"
     "De quoi il s'agit :\n"
     "${explanations}\n"
     "\n"
     "Merci de vérifier ces systèmes et de prendre les mesures nécessaires.\n"
     "Si vous répondez, conservez la référence ${reference} dans l'objet\n"
     "afin que votre réponse soit rattachée à cette notification.\n"
     "\n"
     "Ce message est TLP:${tlp} : ${tlp_text}\n"
     "\n"
     "Cordialement,\n"
     "${signature}\n",
     NULL},
    {"de",
     "Ereignis",
     "Ereignisse",
     "aus %s",
     "vom Typ %s",
     {"die Weitergabe ist nicht beschränkt.",
      "Sie dürfen sie in Ihrer Community teilen, nicht öffentlich.",
      "Sie dürfen sie in Ihrer Organisation und mit deren Kunden teilen, soweit nötig.",
      "Sie dürfen sie nur in Ihrer Organisation teilen, soweit nötig.",
      "nur für die genannten Empfänger."},
     "Einzelheiten in der angehängten Datei.",
     "[${reference}] [TLP:${tlp}] ${n_events} ${about} für ${org}\n"
     "\n"
     "Sehr geehrtes Team von ${org_name},\n"
     "\n"
     "${digest}zwischen ${first} und ${last} (UTC) meldeten unsere Quellen\n"
     "${n_events} ${about} zu Systemen in Ihren Netzen.\n"
     "${attached}\n"
     "\n"
     "Worum es geht:\n"
     "${explanations}\n"
     "\n"
     "Bitte prüfen Sie diese Systeme und ergreifen Sie die nötigen Maßnahmen.\n"
     "Wenn Sie antworten, behalten Sie die Referenz ${reference} im Betreff,\n"
     "damit Ihre Antwort dieser Benachrichtigung zugeordnet wird.\n"
     "\n"
     "Diese Nachricht ist TLP:${tlp}: ${tlp_text}\n"
     "\n"
     "Mit freundlichen Grüßen\n"
     "${signature}\n",
     NULL},
    {"nl",
     "gebeurtenis",
     "gebeurtenissen",
     "uit de bron %s",
     "van het type %s",
     {"verspreiding is niet beperkt.", "u mag dit binnen uw gemeenschap delen, niet openbaar.",
      "u mag dit delen binnen uw organisatie en met haar klanten die het moeten weten.",
      "u mag dit alleen binnen uw organisatie delen, met wie het moet weten.",
      "alleen voor de genoemde ontvangers."},
     "zie het bijgevoegde bestand voor de details.",
     "[${reference}] [TLP:${tlp}] ${n_events} ${about} voor ${org}\n"
     "\n"
     "Geacht team van ${org_name},\n"
     "\n"
     "${digest}Tussen ${first} en ${last} (UTC) meldden onze bronnen ${n_events}\n"
     "${about} over systemen in uw netwerken.\n"
     "${attached}\n"
     "\n"
     "Wat ze zijn:\n"
     "${explanations}\n"
     "\n"
     "Controleer deze systemen en neem de nodige maatregelen. Laat bij een\n"
     "antwoord de referentie ${reference} in het onderwerp staan, zodat uw\n"
     "antwoord aan deze melding wordt gekoppeld.\n"
     "\n"
     "Dit bericht is TLP:${tlp}: ${tlp_text}\n"
     "\n"
     "Met vriendelijke groet,\n"
     "${signature}\n",
     NULL},
    {"it",
     "evento",
     "eventi",
     "dalla fonte %s",
     "di tipo %s",
     {"la diffusione non è limitata.",
      "potete condividerla all'interno della vostra comunità, non pubblicamente.",
      "potete condividerla all'interno della vostra organizzazione e con i suoi clienti che "
      "ne hanno bisogno.",
      "potete condividerla solo all'interno della vostra organizzazione, con chi ne ha "
      "bisogno.",
      "riservata ai destinatari indicati."},
     "vedere il file allegato per i dettagli.",
     "[${reference}] [TLP:${tlp}] ${n_events} ${about} per ${org}\n"
     "\n"
     "Gentile team di ${org_name},\n"
     "\n"
     "${digest}tra il ${first} e il ${last} (UTC) le nostre fonti hanno segnalato\n"
     "${n_events} ${about} su sistemi delle vostre reti.\n"
     "${attached}\n"
     "\n"
     "Di cosa si tratta:\n"
     "${explanations}\n"
     "\n"
     "Vi preghiamo di verificare questi sistemi e di adottare le misure\n"
     "necessarie. Se rispondete, mantenete il riferimento ${reference}\n"
     "nell'oggetto, affinché la risposta sia associata a questa notifica.\n"
     "\n"
     "Questo messaggio è TLP:${tlp}: ${tlp_text}\n"
     "\n"
     "Cordiali saluti,\n"
     "${signature}\n",
     NULL},
    {"es",
     "evento",
     "eventos",
     "de la fuente %s",
     "de tipo %s",
     {"la difusión no está limitada.",
      "pueden compartirla dentro de su comunidad, no públicamente.",
      "pueden compartirla dentro de su organización y con los clientes que necesiten "
      "conocerla.",
      "pueden compartirla solo dentro de su organización, con quienes necesiten conocerla.",
      "solo para los destinatarios indicados."},
     "consulten el archivo adjunto para más detalles.",
     "[${reference}] [TLP:${tlp}] ${n_events} ${about} para ${org}\n"
     "\n"
     "Estimado equipo de ${org_name}:\n"
     "\n"
     "${digest}Entre el ${first} y el ${last} (UTC) nuestras fuentes notificaron\n"
     "${n_events} ${about} sobre sistemas de sus redes.\n"
     "${attached}\n"
     "\n"
     "De qué se trata:\n"
     "${explanations}\n"
     "\n"
     "Les rogamos que revisen estos sistemas y tomen las medidas necesarias.\n"
     "Si responden, mantengan la referencia ${reference} en el asunto para\n"
     "que su respuesta quede asociada a esta notificación.\n"
     "\n"
     "Este mensaje es TLP:${tlp}: ${tlp_text}\n"
     "\n"
     "Atentamente,\n"
     "${signature}\n",
     NULL},
    {"pl",
     "zdarzenie",
     "zdarzeń",
     "ze źródła %s",
     "typu %s",
     {"rozpowszechnianie nie jest ograniczone.",
      "mogą Państwo udostępniać ją w swojej społeczności, ale nie publicznie.",
      "mogą Państwo udostępniać ją w swojej organizacji i jej klientom, którzy muszą ją znać.",
      "mogą Państwo udostępniać ją tylko w swojej organizacji, osobom, które muszą ją znać.",
      "wyłącznie dla wymienionych odbiorców."},
     "szczegóły w załączonym pliku.",
     "[${reference}] [TLP:${tlp}] ${n_events} ${about} dla ${org}\n"
     "\n"
     "Szanowny Zespole ${org_name},\n"
     "\n"
     "${digest}między ${first} a ${last} (UTC) nasze źródła zgłosiły ${n_events}\n"
     "${about} w związku z systemami w Państwa sieciach.\n"
     "${attached}\n"
     "\n"
     "Czego dotyczą:\n"
     "${explanations}\n"
     "\n"
     "Prosimy o sprawdzenie tych systemów i podjęcie niezbędnych działań.\n"
     "Odpowiadając, prosimy zachować numer ${reference} w temacie, aby\n"
     "odpowiedź została przypisana do tego powiadomienia.\n"
     "\n"
     "Ta wiadomość ma oznaczenie TLP:${tlp}: ${tlp_text}\n"
     "\n"
     "Z poważaniem\n"
     "${signature}\n",
     "zdarzenia"},
};
#define NBUILTINS (sizeof(builtins) / sizeof(builtins[0]))
/* The languages of builtins[], in its order: the index into the word tables below. */
#define NLANGS 7
_Static_assert(NBUILTINS == NLANGS, "a built-in language needs its words in every table");

/* The built-in templates digest_daily and digest_weekly: the sentence a digest opens with
 * (per-constituent preferences, src/notify/prefs.c), in the order of builtins[]; the message
 * puts a blank line after it. */
static const char *const digest_words[NLANGS][2] = {
    {"This is your daily digest of what we learnt from ${period_start} to ${period_end} (UTC).",
     "This is your weekly digest of what we learnt from ${period_start} to ${period_end} (UTC)."},
    {"Voici votre synthèse quotidienne de ce que nous avons appris du ${period_start} au "
     "${period_end} (UTC).",
     "Voici votre synthèse hebdomadaire de ce que nous avons appris du ${period_start} au "
     "${period_end} (UTC)."},
    {"Dies ist Ihre tägliche Zusammenfassung dessen, was wir vom ${period_start} bis zum "
     "${period_end} (UTC)"
     " erfahren haben.",
     "Dies ist Ihre wöchentliche Zusammenfassung dessen, was wir vom ${period_start} bis zum "
     "${period_end} (UTC)"
     " erfahren haben."},
    {"Dit is uw dagelijkse samenvatting van wat wij van ${period_start} tot ${period_end} (UTC) "
     "vernamen.",
     "Dit is uw wekelijkse samenvatting van wat wij van ${period_start} tot ${period_end} (UTC) "
     "vernamen."},
    {"Questo è il vostro riepilogo giornaliero di quanto appreso dal ${period_start} al "
     "${period_end} (UTC).",
     "Questo è il vostro riepilogo settimanale di quanto appreso dal ${period_start} al "
     "${period_end} (UTC)."},
    {"Este es su resumen diario de lo que supimos entre el ${period_start} y el ${period_end} "
     "(UTC).",
     "Este es su resumen semanal de lo que supimos entre el ${period_start} y el ${period_end} "
     "(UTC)."},
    {"Oto Państwa dzienne podsumowanie tego, czego dowiedzieliśmy się od ${period_start} do "
     "${period_end} (UTC).",
     "Oto Państwa tygodniowe podsumowanie tego, czego dowiedzieliśmy się od ${period_start} do "
     "${period_end}"
     " (UTC)."},
};

/* The built-in templates attached_csv, attached_json and attached_xarf, the message's
 * ${attached}: the sentence that says how the events are attached, in the order of builtins[],
 * then per format: a CSV has a line per event, a JSON attachment is one array, X-ARF is one file
 * (one document) per event, so "one per line" is true of CSV only. ${file} is the attachment's
 * name; for X-ARF the names of the first and last files (message.c numbers them). */
static const char *const attached_words[NLANGS][3] = {
    {"The attached file ${file} lists them, one per line.",
     "The attached file ${file} lists them as a JSON array, one object per event.",
     "They are attached as X-ARF reports, one file per event (${file})."},
    {"Le fichier joint ${file} les énumère, un par ligne.",
     "Le fichier joint ${file} les énumère sous forme de tableau JSON, un objet par événement.",
     "Ils sont joints sous forme de rapports X-ARF, un fichier par événement (${file})."},
    {"Die angehängte Datei ${file} führt sie auf, eines pro Zeile.",
     "Die angehängte Datei ${file} führt sie als JSON-Array auf, ein Objekt pro Ereignis.",
     "Sie sind als X-ARF-Berichte angehängt, eine Datei pro Ereignis (${file})."},
    {"Het bijgevoegde bestand ${file} somt ze op, één per regel.",
     "Het bijgevoegde bestand ${file} somt ze op als JSON-array, één object per gebeurtenis.",
     "Ze zijn bijgevoegd als X-ARF-rapporten, één bestand per gebeurtenis (${file})."},
    {"Il file allegato ${file} li elenca, uno per riga.",
     "Il file allegato ${file} li elenca come array JSON, un oggetto per evento.",
     "Sono allegati come rapporti X-ARF, un file per evento (${file})."},
    {"El archivo adjunto ${file} los enumera, uno por línea.",
     "El archivo adjunto ${file} los enumera como un array JSON, un objeto por evento.",
     "Se adjuntan como informes X-ARF, un archivo por evento (${file})."},
    {"Załączony plik ${file} zawiera ich listę, po jednym w wierszu.",
     "Załączony plik ${file} zawiera ich listę jako tablicę JSON, po jednym obiekcie na "
     "zdarzenie.",
     "Załączono je jako raporty X-ARF, po jednym pliku na zdarzenie (${file})."},
};

/* The templates of kind notification (src/templates): the message, and the item templates of
 * its lines rendered here and put in the message as ${explanations}, ${digest} and
 * ${attached}; in the order of ERMES_NOTIFY_PART_*. */
static const char *const part_names[ERMES_NOTIFY_PARTS] = {
    "message",      "explanation",   "digest_daily", "digest_weekly",
    "attached_csv", "attached_json", "attached_xarf"};

/* The built-in explanation template, the same in every language: the class and the type in
 * words, the feed's own name of the type where it differs, how many, and what it means. */
static const char explanation_builtin[] =
    "- ${what} (${type_note}${count} ${events}): ${explanation}";

/* The index of lang in builtins[] (English for any other). */
static size_t lang_index(const char *lang)
{
    for (size_t k = 0; lang && k < NBUILTINS; k++)
        if (strcmp(builtins[k].lang, lang) == 0)
            return k;
    return 0;
}

/* "event" or "events" (or Polish's third form) after n. */
static const char *event_word(const builtin_t *w, int64_t n)
{
    if (n == 1)
        return w->event;
    if (w->events_few && n % 10 >= 2 && n % 10 <= 4 && !(n % 100 >= 12 && n % 100 <= 14))
        return w->events_few;
    return w->events;
}

/* What each classification type (RSIT, with IntelMQ's names) means for the recipient, in
 * each built-in language (the order of builtins[]). The nl, it, es and pl texts are our own
 * translations: the RSIT reference (../shared/conformance/taxonomy/rsit/) has English only. */
static const struct explanation {
    const char *type;
    const char *text[NLANGS];
} explanations[] = {
    {"infected-system",
     {"a system is infected with malware and talks to its operators.",
      "un système est infecté par un logiciel malveillant qui communique avec ses opérateurs.",
      "ein System ist mit Schadsoftware infiziert, die mit ihren Betreibern kommuniziert.",
      "een systeem is besmet met malware die contact heeft met de beheerders ervan.",
      "un sistema è infetto da malware che comunica con i suoi operatori.",
      "un sistema está infectado con malware que se comunica con sus operadores.",
      "system jest zainfekowany złośliwym oprogramowaniem, które komunikuje się ze swoimi "
      "operatorami."}},
    {"c2-server",
     {"a system serves as command-and-control server for malware.",
      "un système sert de serveur de commande et de contrôle pour un logiciel malveillant.",
      "ein System dient als Steuerserver (C2) für Schadsoftware.",
      "een systeem dient als command-and-controlserver voor malware.",
      "un sistema funge da server di comando e controllo per malware.",
      "un sistema actúa como servidor de mando y control de malware.",
      "system służy jako serwer dowodzenia i kontroli (C2) złośliwego oprogramowania."}},
    {"malware-distribution",
     {"a system distributes malware.", "un système distribue des logiciels malveillants.",
      "ein System verbreitet Schadsoftware.", "een systeem verspreidt malware.",
      "un sistema distribuisce malware.", "un sistema distribuye malware.",
      "system rozpowszechnia złośliwe oprogramowanie."}},
    {"scanner",
     {"a system scans other systems on the Internet.",
      "un système balaie d'autres systèmes sur Internet.",
      "ein System scannt andere Systeme im Internet.",
      "een systeem scant andere systemen op internet.",
      "un sistema esegue scansioni di altri sistemi su Internet.",
      "un sistema escanea otros sistemas en Internet.",
      "system skanuje inne systemy w Internecie."}},
    {"brute-force",
     {"a system tries to guess passwords of other systems.",
      "un système tente de deviner les mots de passe d'autres systèmes.",
      "ein System versucht, Passwörter anderer Systeme zu erraten.",
      "een systeem probeert wachtwoorden van andere systemen te raden.",
      "un sistema tenta di indovinare le password di altri sistemi.",
      "un sistema intenta adivinar las contraseñas de otros sistemas.",
      "system próbuje odgadnąć hasła innych systemów."}},
    {"ddos",
     {"a system takes part in denial-of-service attacks.",
      "un système participe à des attaques par déni de service.",
      "ein System beteiligt sich an Denial-of-Service-Angriffen.",
      "een systeem neemt deel aan denial-of-serviceaanvallen.",
      "un sistema partecipa ad attacchi di tipo denial of service.",
      "un sistema participa en ataques de denegación de servicio.",
      "system bierze udział w atakach typu odmowa usługi (DoS)."}},
    {"ddos-amplifier",
     {"a service can be abused to amplify denial-of-service attacks; restrict it or turn it off.",
      "un service peut être détourné pour amplifier des attaques par déni de service ; "
      "restreignez-le ou désactivez-le.",
      "ein Dienst kann zur Verstärkung von DoS-Angriffen missbraucht werden; schränken Sie ihn ein "
      "oder schalten Sie ihn ab.",
      "een dienst kan worden misbruikt om denial-of-serviceaanvallen te versterken; beperk hem of "
      "schakel hem uit.",
      "un servizio può essere sfruttato per amplificare attacchi denial of service; limitatelo o "
      "disattivatelo.",
      "un servicio puede usarse para amplificar ataques de denegación de servicio; restrínjanlo o "
      "desactívenlo.",
      "usługa może zostać wykorzystana do wzmacniania ataków DoS; należy ją ograniczyć lub "
      "wyłączyć."}},
    {"vulnerable-system",
     {"a system runs software with a known vulnerability; update it.",
      "un système exécute un logiciel présentant une vulnérabilité connue ; mettez-le à jour.",
      "auf einem System läuft Software mit einer bekannten Schwachstelle; aktualisieren Sie sie.",
      "op een systeem draait software met een bekende kwetsbaarheid; werk deze bij.",
      "un sistema esegue software con una vulnerabilità nota; aggiornatelo.",
      "un sistema ejecuta software con una vulnerabilidad conocida; actualícenlo.",
      "system działa na oprogramowaniu ze znaną podatnością; należy je zaktualizować."}},
    {"potentially-unwanted-accessible",
     {"a service is reachable from the Internet that probably should not be.",
      "un service est accessible depuis Internet alors qu'il ne devrait probablement pas l'être.",
      "ein Dienst ist aus dem Internet erreichbar, der es vermutlich nicht sein sollte.",
      "een dienst is vanaf internet bereikbaar die dat waarschijnlijk niet zou moeten zijn.",
      "un servizio è raggiungibile da Internet, mentre probabilmente non dovrebbe esserlo.",
      "un servicio es accesible desde Internet cuando probablemente no debería serlo.",
      "usługa jest dostępna z Internetu, choć prawdopodobnie nie powinna być."}},
    {"exploit",
     {"a system attempts to exploit vulnerabilities of other systems.",
      "un système tente d'exploiter des vulnérabilités d'autres systèmes.",
      "ein System versucht, Schwachstellen anderer Systeme auszunutzen.",
      "een systeem probeert kwetsbaarheden van andere systemen te misbruiken.",
      "un sistema tenta di sfruttare vulnerabilità di altri sistemi.",
      "un sistema intenta explotar vulnerabilidades de otros sistemas.",
      "system próbuje wykorzystać podatności innych systemów."}},
    {"compromised",
     {"a system or account appears to be compromised.", "un système ou un compte semble compromis.",
      "ein System oder Konto scheint kompromittiert zu sein.",
      "een systeem of account lijkt gecompromitteerd.",
      "un sistema o un account sembra compromesso.", "un sistema o una cuenta parece comprometido.",
      "system lub konto wydaje się przejęte."}},
    {"system-compromise",
     {"a system appears to be compromised.", "un système semble compromis.",
      "ein System scheint kompromittiert zu sein.", "een systeem lijkt gecompromitteerd.",
      "un sistema sembra compromesso.", "un sistema parece comprometido.",
      "system wydaje się przejęty."}},
    {"phishing",
     {"a system hosts a phishing site.", "un système héberge un site d'hameçonnage.",
      "ein System beherbergt eine Phishing-Seite.", "een systeem host een phishingsite.",
      "un sistema ospita un sito di phishing.", "un sistema aloja un sitio de phishing.",
      "system hostuje stronę phishingową."}},
    {"spam",
     {"a system sends spam.", "un système envoie du spam.", "ein System versendet Spam.",
      "een systeem verstuurt spam.", "un sistema invia spam.", "un sistema envía spam.",
      "system wysyła spam."}},
    {"ids-alert",
     {"a system triggered an intrusion detection alert.",
      "un système a déclenché une alerte de détection d'intrusion.",
      "ein System hat einen Alarm der Angriffserkennung ausgelöst.",
      "een systeem heeft een alarm van de inbraakdetectie veroorzaakt.",
      "un sistema ha generato un allarme del sistema di rilevamento delle intrusioni.",
      "un sistema ha provocado una alerta del sistema de detección de intrusiones.",
      "system wywołał alarm systemu wykrywania włamań."}},
    {"blacklist",
     {"a system is listed on a blocklist.", "un système figure sur une liste de blocage.",
      "ein System steht auf einer Sperrliste.", "een systeem staat op een blokkeerlijst.",
      "un sistema è presente in una lista di blocco.", "un sistema figura en una lista de bloqueo.",
      "system znajduje się na liście blokowanych adresów."}},
    {"proxy",
     {"a system acts as an open proxy.", "un système fait office de proxy ouvert.",
      "ein System arbeitet als offener Proxy.", "een systeem werkt als open proxy.",
      "un sistema funziona da proxy aperto.", "un sistema funciona como proxy abierto.",
      "system działa jako otwarte proxy."}},
    {"data-leak",
     {"data appears to have leaked.", "des données semblent avoir fuité.",
      "Daten scheinen abgeflossen zu sein.", "er lijken gegevens te zijn gelekt.",
      "sembra che dei dati siano trapelati.", "parece que se han filtrado datos.",
      "wygląda na to, że doszło do wycieku danych."}},
};

/* RSIT classes (classification.taxonomy) in words, for people rather than parsers, in each
 * built-in language (nl, it, es, pl: our own translations). */
static const struct class_words {
    const char *taxonomy;
    const char *text[NLANGS];
} class_words[] = {
    {"abusive-content",
     {"Abusive content", "Contenu abusif", "Missbräuchliche Inhalte", "Schadelijke inhoud",
      "Contenuti abusivi", "Contenido abusivo", "Treści obraźliwe"}},
    {"availability",
     {"Availability", "Disponibilité", "Verfügbarkeit", "Beschikbaarheid", "Disponibilità",
      "Disponibilidad", "Dostępność"}},
    {"fraud", {"Fraud", "Fraude", "Betrug", "Fraude", "Frode", "Fraude", "Oszustwo"}},
    {"information-content-security",
     {"Information content security", "Sécurité du contenu de l'information",
      "Sicherheit von Informationsinhalten", "Beveiliging van informatie-inhoud",
      "Sicurezza del contenuto delle informazioni", "Seguridad del contenido de la información",
      "Bezpieczeństwo treści informacji"}},
    {"information-gathering",
     {"Information gathering", "Collecte d'informations", "Informationsbeschaffung",
      "Informatievergaring", "Raccolta di informazioni", "Obtención de información",
      "Zbieranie informacji"}},
    {"intrusion-attempts",
     {"Intrusion attempts", "Tentatives d'intrusion", "Einbruchsversuche", "Inbraakpogingen",
      "Tentativi di intrusione", "Intentos de intrusión", "Próby włamania"}},
    {"intrusions",
     {"Intrusions", "Intrusions", "Einbrüche", "Inbraken", "Intrusioni", "Intrusiones",
      "Włamania"}},
    {"malicious-code",
     {"Malicious code", "Code malveillant", "Schadcode", "Kwaadaardige code", "Codice malevolo",
      "Código dañino", "Złośliwy kod"}},
    {"other", {"Other", "Autre", "Sonstiges", "Overig", "Altro", "Otros", "Inne"}},
    {"test", {"Test", "Test", "Test", "Test", "Test", "Prueba", "Test"}},
    {"vulnerable",
     {"Vulnerable", "Vulnérable", "Verwundbar", "Kwetsbaar", "Vulnerabile", "Vulnerable",
      "Podatność"}},
};

/* A type's name in words: the few whose name is an abbreviation spelt out, the others with
 * their hyphens as spaces ("vulnerable-system": "vulnerable system"). */
static const struct type_words {
    const char *type, *words;
} type_words[] = {
    {"c2-server", "command-and-control server"},
    {"ddos", "DDoS"},
    {"ddos-amplifier", "DDoS amplifier"},
    {"ids-alert", "IDS alert"},
    {"other", "not classified further by the source"},
    {"potentially-unwanted-accessible", "potentially unwanted accessible service"},
    {"unknown", "not classified by the source"},
};

/* The RSIT class of type in words in the language (NULL when the type has none). */
static const char *class_in_words(const char *lang, const char *type)
{
    const char *taxonomy = ermes_taxonomy_of_type(type);

    for (size_t k = 0; taxonomy && k < sizeof(class_words) / sizeof(class_words[0]); k++)
        if (strcmp(class_words[k].taxonomy, taxonomy) == 0)
            return class_words[k].text[lang_index(lang)];
    return NULL;
}

static int type_in_words(const char *type, ermes__strbuf_t *out)
{
    int rc = 0;

    for (size_t k = 0; k < sizeof(type_words) / sizeof(type_words[0]); k++)
        if (strcmp(type_words[k].type, type) == 0)
            return ermes__strbuf_adds(out, type_words[k].words);
    for (const char *p = type; !rc && *p; p++)
        rc = ermes__strbuf_addc(out, *p == '-' ? ' ' : *p);
    return rc;
}

static const builtin_t *builtin_for(const char *lang)
{
    for (size_t k = 0; k < NBUILTINS; k++)
        if (strcmp(builtins[k].lang, lang) == 0)
            return &builtins[k];
    return NULL;
}

/* An ISO 639 code: two or three letters. Checked before it becomes part of a file name. */
static int valid_lang(const char *lang)
{
    size_t n = lang ? strlen(lang) : 0;

    if (n < 2 || n > 3)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (!((lang[k] >= 'a' && lang[k] <= 'z') || (lang[k] >= 'A' && lang[k] <= 'Z')))
            return 0;
    return 1;
}

static void lower(const char *in, char *out, size_t cap)
{
    size_t k;

    for (k = 0; in[k] && k + 1 < cap; k++)
        out[k] = (char)(in[k] >= 'A' && in[k] <= 'Z' ? in[k] + 32 : in[k]);
    out[k] = '\0';
}

static int template_file(const char *dir, const char *lang, char *path, size_t cap)
{
    int n;

    if (!dir || !*dir || !valid_lang(lang))
        return 0;
    n = snprintf(path, cap, "%s/%s.txt", dir, lang);
    return n > 0 && (size_t)n < cap;
}

void ermes__notify_language(const char *templates_dir, const char *lang, char *buf, size_t cap)
{
    char l[8], path[4096];
    FILE *f;

    snprintf(buf, cap, "en");
    if (!lang || !valid_lang(lang))
        return;
    lower(lang, l, sizeof(l));
    if (template_file(templates_dir, l, path, sizeof(path)) && (f = fopen(path, "r"))) {
        fclose(f);
        snprintf(buf, cap, "%s", l);
        return;
    }
    if (builtin_for(l))
        snprintf(buf, cap, "%s", l);
}

/* Reads templates_dir/lang.txt; NULL in *out when there is none. */
static int load_template(const char *dir, const char *lang, char **out)
{
    char path[4096], chunk[4096];
    ermes__strbuf_t b;
    size_t n;
    FILE *f;
    int rc = 0;

    *out = NULL;
    if (!template_file(dir, lang, path, sizeof(path)) || !(f = fopen(path, "rb")))
        return 0;
    ermes__strbuf_init(&b, MAX_TEMPLATE);
    while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = ermes__strbuf_add(&b, chunk, n);
    if (!rc && ferror(f))
        rc = ERMES_EIO;
    fclose(f);
    if (!rc && !(*out = ermes__strbuf_take(&b, NULL)))
        rc = ERMES_ENOMEM;
    ermes__strbuf_cleanup(&b);
    return rc;
}

/* ---- rendering ---------------------------------------------------------------------------- */

static void format_utc(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (!gmtime_r(&t, &tm))
        memset(&tm, 0, sizeof(tm));
    snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min);
}

typedef struct render_ctx {
    const ermes__notify_vars_t *v;
    const builtin_t *words; /* the built-in of the language, or English */
    const char *lang;
    const ermes__notify_texts_t *stored; /* the language's stored templates, or NULL */
    const char *file;                    /* ${file} while attached_* is rendered, else NULL */
    char attachment[64];
    char count[32], first[64], last[64];
    char period_start[64], period_end[64];
    ermes__strbuf_t about, n_events, explain, signature;
    ermes__strbuf_t digest;   /* the digest's opening sentence and a blank line; "" otherwise */
    ermes__strbuf_t attached; /* how the events are attached, in the format's words */
} render_ctx_t;

static int var_cb(void *ctx, const char *name, size_t len, const char **value, size_t *vlen,
                  int *trusted);

/* The template of part k (ERMES_NOTIFY_PART_*, not the message) in use: the stored one of the
 * language, else the built-in one of the language (English for a language without one). */
static const char *part_text(const render_ctx_t *c, size_t k)
{
    if (c->stored && c->stored->text[k])
        return c->stored->text[k];
    return ermes__notify_part_builtin(part_names[k], c->words->lang);
}

/* t with the message's variables into out, through a buffer of its own: a stored template
 * that names the very variable it fills (refused by the check, but a row of the database is
 * not bound to have passed it) reads "" rather than the buffer being written. */
static int render_line(render_ctx_t *c, const char *t, ermes__strbuf_t *out)
{
    ermes__strbuf_t line;
    int rc;

    ermes__strbuf_init(&line, MAX_TEXT);
    rc = ermes__template_render(t, strlen(t), ERMES_TEMPLATE_RAW, var_cb, c, &line);
    if (!rc && line.len)
        rc = ermes__strbuf_add(out, line.data, line.len);
    ermes__strbuf_cleanup(&line);
    return rc;
}

/* The digest_daily or digest_weekly template, then a blank line. */
static int add_digest(render_ctx_t *c)
{
    const char *t;
    int rc;

    if (c->v->digest != 1 && c->v->digest != 2)
        return ermes__strbuf_adds(&c->digest, "");
    t = part_text(c, c->v->digest == 1 ? ERMES_NOTIFY_PART_DIGEST_DAILY
                                       : ERMES_NOTIFY_PART_DIGEST_WEEKLY);
    rc = render_line(c, t, &c->digest);
    return rc ? rc : ermes__strbuf_adds(&c->digest, "\n\n");
}

/* The attached_csv, attached_json or attached_xarf template for the constituent's attachment
 * format, with ${file}: the attachment's name, for X-ARF the first and last files'. */
static int add_attached(render_ctx_t *c)
{
    const char *ext = c->v->attachment_ext ? c->v->attachment_ext : "csv";
    size_t fmt = strcmp(ext, "json") == 0 ? 1 : strcmp(ext, "xarf.json") == 0 ? 2 : 0;
    const char *t = part_text(c, ERMES_NOTIFY_PART_ATTACHED_CSV + fmt);
    const char *ref = c->v->reference ? c->v->reference : "events";
    char file[256];
    int rc;

    if (fmt != 2)
        snprintf(file, sizeof(file), "%s", c->attachment);
    else if (c->v->events > 1)
        snprintf(file, sizeof(file), "%s-1.xarf.json … %s-%lld.xarf.json", ref, ref,
                 (long long)c->v->events);
    else
        snprintf(file, sizeof(file), "%s-1.xarf.json", ref);
    c->file = file;
    rc = render_line(c, t, &c->attached);
    c->file = NULL;
    return rc;
}

/* The variables of one line of ${explanations} (the explanation template). */
typedef struct explanation_ctx {
    const char *what, *type_note, *type, *type_words, *class_name, *events, *explanation;
    char count[32];
} explanation_ctx_t;

static int explanation_cb(void *ctx, const char *name, size_t len, const char **value, size_t *vlen,
                          int *trusted)
{
    const explanation_ctx_t *e = ctx;
    const char *v = NULL;

#define IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
    if (IS("what"))
        v = e->what;
    else if (IS("type_note"))
        v = e->type_note;
    else if (IS("type"))
        v = e->type;
    else if (IS("type_words"))
        v = e->type_words;
    else if (IS("class"))
        v = e->class_name;
    else if (IS("count"))
        v = e->count;
    else if (IS("events"))
        v = e->events;
    else if (IS("explanation"))
        v = e->explanation;
#undef IS
    if (!v)
        return 0;
    *value = v;
    *vlen = strlen(v);
    *trusted = 0;
    return 1;
}

/* ${explanations}: the explanation template once per classification type, the lines joined
 * by a line break ("- " and the catch-all sentence when there is no type). */
static int add_explanations(render_ctx_t *c)
{
    const ermes__notify_vars_t *v = c->v;
    const char *t = part_text(c, ERMES_NOTIFY_PART_EXPLANATION);
    ermes__strbuf_t words, what, note;
    int rc = 0;

    ermes__strbuf_init(&words, 4096);
    ermes__strbuf_init(&what, 4096);
    ermes__strbuf_init(&note, 4096);
    for (size_t k = 0; !rc && v->types && v->types[k]; k++) {
        const char *type = v->types[k], *cls = class_in_words(c->words->lang, type);
        int64_t n = v->type_counts ? v->type_counts[k] : 0;
        explanation_ctx_t e;
        ermes__strbuf_reset(&words);
        ermes__strbuf_reset(&what);
        ermes__strbuf_reset(&note);
        e.explanation = c->words->other_type;
        for (size_t j = 0; j < sizeof(explanations) / sizeof(explanations[0]); j++)
            if (strcmp(explanations[j].type, type) == 0) {
                e.explanation = explanations[j].text[lang_index(c->words->lang)];
                break;
            }
        /* The RSIT class and the type in words, with how many, then what it means: never
         * a bare "other (4)"; the feed's own name too, where the words differ from it. */
        rc = type_in_words(type, &words);
        if (!rc && cls)
            rc = ermes__strbuf_addf(&what, "%s: ", cls);
        if (!rc)
            rc = ermes__strbuf_adds(&what, words.data ? words.data : "");
        if (!rc && !(cls && words.data && strcmp(words.data, type) == 0))
            rc = ermes__strbuf_addf(&note, "%s, ", type);
        if (!rc && k)
            rc = ermes__strbuf_addc(&c->explain, '\n');
        if (rc)
            break;
        e.what = what.data && what.len ? what.data : type;
        e.type_note = note.data ? note.data : "";
        e.type = type;
        e.type_words = words.data ? words.data : "";
        e.class_name = cls ? cls : "";
        e.events = event_word(c->words, n);
        snprintf(e.count, sizeof(e.count), "%lld", (long long)n);
        rc = ermes__template_render(t, strlen(t), ERMES_TEMPLATE_RAW, explanation_cb, &e,
                                    &c->explain);
    }
    ermes__strbuf_cleanup(&words);
    ermes__strbuf_cleanup(&what);
    ermes__strbuf_cleanup(&note);
    if (!rc && c->explain.len == 0)
        rc = ermes__strbuf_addf(&c->explain, "- %s", c->words->other_type);
    return rc;
}

static const char *var_value(render_ctx_t *c, const char *name, size_t len)
{
    const ermes__notify_vars_t *v = c->v;

#define IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
    if (IS("reference"))
        return v->reference ? v->reference : "";
    if (IS("tlp"))
        return ermes_tlp_name(v->tlp);
    if (IS("org"))
        return v->org ? v->org : "";
    if (IS("org_name"))
        return v->org_name ? v->org_name : (v->org ? v->org : "");
    if (IS("group"))
        return v->group ? v->group : "";
    if (IS("count"))
        return c->count;
    if (IS("n_events"))
        return c->n_events.data ? c->n_events.data : "";
    if (IS("about"))
        return c->about.data ? c->about.data : "";
    if (IS("first"))
        return c->first;
    if (IS("last"))
        return c->last;
    if (IS("explanations"))
        return c->explain.data ? c->explain.data : "";
    if (IS("attachment"))
        return c->attachment;
    if (IS("attached"))
        return c->attached.data ? c->attached.data : "";
    if (IS("tlp_text"))
        return c->words->tlp_text[v->tlp <= ERMES_TLP_RED ? v->tlp : ERMES_TLP_RED];
    if (IS("mail_from"))
        return v->mail_from ? v->mail_from : "";
    if (IS("signature"))
        return c->signature.data ? c->signature.data : v->mail_from ? v->mail_from : "";
    if (IS("digest"))
        return c->digest.data ? c->digest.data : "";
    if (IS("frequency"))
        return v->digest == 1 ? "daily" : v->digest == 2 ? "weekly" : "immediate";
    if (IS("period_start"))
        return c->period_start;
    if (IS("period_end"))
        return c->period_end;
    if (IS("file") && c->file)
        return c->file;
#undef IS
    return NULL;
}

/* The notification's placeholders for the shared template engine (core/template.c). */
static int var_cb(void *ctx, const char *name, size_t len, const char **value, size_t *vlen,
                  int *trusted)
{
    const char *v = var_value(ctx, name, len);

    if (!v)
        return 0;
    *value = v;
    *vlen = strlen(v);
    *trusted = 0;
    return 1;
}

/* Copies text[0..n) to out with ${name} substituted; unknown names stay as written. The text
 * goes out as plain text as the template made it (headers are flattened afterwards). */
static int substitute(render_ctx_t *c, const char *text, size_t n, ermes__strbuf_t *out)
{
    return ermes__template_render(text, n, ERMES_TEMPLATE_RAW, var_cb, c, out);
}

/* Header values come partly from feeds: no control character may reach a header, so none
 * can end it early or add another (header injection). */
static void flatten_line(ermes__strbuf_t *b)
{
    for (size_t k = 0; k < b->len; k++)
        if ((unsigned char)b->data[k] < 0x20 || b->data[k] == 0x7f)
            b->data[k] = ' ';
}

/* pattern with its "%s" replaced by value (the patterns are the built-in phrases above). */
static int fill_pattern(const char *pattern, const char *value, ermes__strbuf_t *out)
{
    const char *at = strstr(pattern, "%s");
    int rc;

    if (!at)
        return ermes__strbuf_adds(out, pattern);
    if ((rc = ermes__strbuf_add(out, pattern, (size_t)(at - pattern))) ||
        (rc = ermes__strbuf_adds(out, value)))
        return rc;
    return ermes__strbuf_adds(out, at + 2);
}

int ermes__notify_render(const char *templates_dir, const char *lang,
                         const ermes__notify_vars_t *vars, ermes__strbuf_t *subject,
                         ermes__strbuf_t *body)
{
    return ermes__notify_render_text(templates_dir, lang, NULL, vars, subject, body);
}

int ermes__notify_render_text(const char *templates_dir, const char *lang, const char *stored,
                              const ermes__notify_vars_t *vars, ermes__strbuf_t *subject,
                              ermes__strbuf_t *body)
{
    ermes__notify_texts_t t;

    memset(&t, 0, sizeof(t));
    t.text[ERMES_NOTIFY_PART_MESSAGE] = (char *)stored;
    return ermes__notify_render_texts(templates_dir, lang, &t, vars, subject, body);
}

int ermes__notify_render_texts(const char *templates_dir, const char *lang,
                               const ermes__notify_texts_t *texts, const ermes__notify_vars_t *vars,
                               ermes__strbuf_t *subject, ermes__strbuf_t *body)
{
    const char *stored = texts ? texts->text[ERMES_NOTIFY_PART_MESSAGE] : NULL;
    render_ctx_t c;
    char *file = NULL;
    const char *text, *nl;
    size_t sl;
    int rc;

    memset(&c, 0, sizeof(c));
    c.v = vars;
    c.lang = lang;
    c.stored = texts;
    c.words = builtin_for(lang);
    if (!c.words)
        c.words = &builtins[0];
    ermes__strbuf_init(&c.about, 1024);
    ermes__strbuf_init(&c.n_events, 256);
    ermes__strbuf_init(&c.explain, MAX_TEXT);
    ermes__strbuf_init(&c.signature, MAX_TEXT);
    /* notify_signature: one line of the config file, "\n" where a line breaks. */
    rc = 0;
    for (const char *p = vars->signature; p && *p && !rc; p++) {
        if (p[0] == '\\' && p[1] == 'n') {
            rc = ermes__strbuf_addc(&c.signature, '\n');
            p++;
        } else {
            rc = ermes__strbuf_addc(&c.signature, *p);
        }
    }
    snprintf(c.attachment, sizeof(c.attachment), "%s.%s",
             vars->reference ? vars->reference : "events",
             vars->attachment_ext ? vars->attachment_ext : "csv");
    snprintf(c.count, sizeof(c.count), "%lld", (long long)vars->events);
    format_utc(vars->first, c.first, sizeof(c.first));
    format_utc(vars->last, c.last, sizeof(c.last));
    format_utc(vars->period_start, c.period_start, sizeof(c.period_start));
    format_utc(vars->period_end, c.period_end, sizeof(c.period_end));
    ermes__strbuf_init(&c.digest, 4096);
    ermes__strbuf_init(&c.attached, 4096);
    if ((rc = ermes__strbuf_addf(&c.n_events, "%lld %s", (long long)vars->events,
                                 event_word(c.words, vars->events))) ||
        (rc = fill_pattern(vars->by_type ? c.words->of_type : c.words->from_feed,
                           vars->group ? vars->group : "", &c.about)) ||
        (rc = add_explanations(&c)) || (rc = add_digest(&c)) || (rc = add_attached(&c)))
        goto out;
    if (!stored && (rc = load_template(templates_dir, lang, &file)))
        goto out;
    if (stored)
        file = ermes__strdup(stored);
    if (stored && !file) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    text = file ? file : builtin_for(lang) ? builtin_for(lang)->text : builtins[0].text;
    /* The first line is the subject; one blank line after it is not part of the body. */
    nl = strchr(text, '\n');
    /* A subject line ended by "\r\n" (a template pasted from elsewhere) loses its "\r". */
    sl = nl ? (size_t)(nl - text) : strlen(text);
    if (sl && text[sl - 1] == '\r')
        sl--;
    if ((rc = substitute(&c, text, sl, subject)))
        goto out;
    flatten_line(subject);
    if (nl) {
        text = nl + 1;
        if (*text == '\n')
            text++;
        else if (text[0] == '\r' && text[1] == '\n')
            text += 2;
        rc = substitute(&c, text, strlen(text), body);
    } else {
        rc = ermes__strbuf_adds(body, "");
    }
out:
    ermes__free(file);
    ermes__strbuf_cleanup(&c.about);
    ermes__strbuf_cleanup(&c.n_events);
    ermes__strbuf_cleanup(&c.explain);
    ermes__strbuf_cleanup(&c.signature);
    ermes__strbuf_cleanup(&c.digest);
    ermes__strbuf_cleanup(&c.attached);
    return rc;
}

/* ---- templates edited in the API ---------------------------------------------------------- */

const char *ermes__notify_part_at(size_t k)
{
    return k < ERMES_NOTIFY_PARTS ? part_names[k] : NULL;
}

static size_t part_index(const char *name)
{
    for (size_t k = 0; name && k < ERMES_NOTIFY_PARTS; k++)
        if (strcmp(part_names[k], name) == 0)
            return k;
    return ERMES_NOTIFY_PARTS;
}

const char *ermes__notify_part_builtin(const char *name, const char *lang)
{
    const builtin_t *b = lang ? builtin_for(lang) : NULL;
    size_t l = b ? (size_t)(b - builtins) : 0;

    switch (part_index(name)) {
    case ERMES_NOTIFY_PART_MESSAGE:
        return builtins[l].text;
    case ERMES_NOTIFY_PART_EXPLANATION:
        return explanation_builtin;
    case ERMES_NOTIFY_PART_DIGEST_DAILY:
        return digest_words[l][0];
    case ERMES_NOTIFY_PART_DIGEST_WEEKLY:
        return digest_words[l][1];
    case ERMES_NOTIFY_PART_ATTACHED_CSV:
    case ERMES_NOTIFY_PART_ATTACHED_JSON:
    case ERMES_NOTIFY_PART_ATTACHED_XARF:
        return attached_words[l][part_index(name) - ERMES_NOTIFY_PART_ATTACHED_CSV];
    default:
        return NULL;
    }
}

void ermes__notify_texts_cleanup(ermes__notify_texts_t *t)
{
    for (size_t k = 0; t && k < ERMES_NOTIFY_PARTS; k++) {
        ermes__free(t->text[k]);
        t->text[k] = NULL;
    }
}

int ermes__notify_texts_set(ermes__notify_texts_t *t, const char *name, const char *text)
{
    size_t k = part_index(name);
    char *copy;

    if (k == ERMES_NOTIFY_PARTS)
        return 0; /* a name of no use to a notification */
    if (!(copy = ermes__strdup(text ? text : "")))
        return ERMES_ENOMEM;
    ermes__free(t->text[k]);
    t->text[k] = copy;
    return 0;
}

static int texts_cb(void *ctx, const char *name, const char *text)
{
    return ermes__notify_texts_set(ctx, name, text);
}

int ermes__notify_texts_load(ermes__store_t *st, const char *lang, ermes__notify_texts_t *t)
{
    int rc;

    memset(t, 0, sizeof(*t));
    /* One query for every part of the language, as the message alone took before. */
    if ((rc = ermes__store_template_texts(st, "notification", lang, texts_cb, t)))
        ermes__notify_texts_cleanup(t);
    return rc;
}

/* The names var_value() knows, for checking a template before it is stored. */
static const char *const var_names[] = {
    "reference", "tlp",    "org",       "org_name",     "group",      "count",    "n_events",
    "about",     "first",  "last",      "explanations", "attachment", "tlp_text", "mail_from",
    "signature", "digest", "frequency", "period_start", "period_end", "attached",
};

/* What the digest and attached templates know: the message's variables but those made of
 * them (digest, attached, explanations); attached also ${file}. */
static const char *const line_names[] = {
    "reference", "tlp",       "org",       "org_name",     "group",      "count",
    "n_events",  "about",     "first",     "last",         "attachment", "tlp_text",
    "mail_from", "signature", "frequency", "period_start", "period_end", "file",
};
#define NLINE_NAMES (sizeof(line_names) / sizeof(line_names[0]))

/* What the explanation template knows (explanation_cb). */
static const char *const explanation_names[] = {
    "what", "type_note", "type", "type_words", "class", "count", "events", "explanation",
};

static int check_fail(ermes_diag_t *d, long line, long col, const char *what, size_t len,
                      const char *arg)
{
    if (arg)
        ermes_diag_set(d, "text", "line %ld, column %ld: unknown placeholder \"${%.*s}\"", line,
                       col, (int)(len > 64 ? 64 : len), arg);
    else
        ermes_diag_set(d, "text", "line %ld, column %ld: %s", line, col, what);
    d->line = line;
    d->column = col;
    return ERMES_EINVAL;
}

/* No control character, every ${ closed on its line by } and naming one of names[0..nnames). */
static int check_text(const char *text, size_t n, const char *const *names, size_t nnames,
                      ermes_diag_t *d)
{
    long line = 1, col = 1;

    for (size_t k = 0; k < n; k++) {
        if (text[k] == '\0' || ((unsigned char)text[k] < 0x20 && text[k] != '\n' &&
                                text[k] != '\r' && text[k] != '\t'))
            return check_fail(d, line, col, "a control character", 0, NULL);
        if (text[k] == '$' && k + 1 < n && text[k + 1] == '{') {
            size_t j = k + 2, len;
            int known = 0;
            while (j < n && text[j] != '}' && text[j] != '\n' && text[j] != '$')
                j++;
            if (j >= n || text[j] != '}')
                return check_fail(d, line, col, "\"${\" is not closed by \"}\"", 0, NULL);
            len = j - (k + 2);
            for (size_t v = 0; v < nnames; v++)
                if (strlen(names[v]) == len && memcmp(names[v], text + k + 2, len) == 0)
                    known = 1;
            if (!known)
                return check_fail(d, line, col, NULL, len, text + k + 2);
            col += (long)(j - k) + 1;
            k = j;
            continue;
        }
        if (text[k] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)text[k] & 0xc0) != 0x80) {
            col++; /* columns count characters, not UTF-8 continuation bytes */
        }
    }
    return 0;
}

int ermes__notify_template_check(const char *text, ermes_diag_t *d)
{
    size_t n = text ? strlen(text) : 0;

    ermes_diag_clear(d);
    if (n == 0 || text[0] == '\n') {
        ermes_diag_set(d, "text", "the first line (the subject) is empty");
        d->line = 1;
        d->column = 1;
        return ERMES_EINVAL;
    }
    if (n > MAX_TEMPLATE) {
        ermes_diag_set(d, "text", "a template is at most %d bytes", MAX_TEMPLATE);
        return ERMES_ETOOBIG;
    }
    return check_text(text, n, var_names, sizeof(var_names) / sizeof(var_names[0]), d);
}

int ermes__notify_part_check(const char *name, const char *text, ermes_diag_t *d)
{
    size_t k = part_index(name), n = text ? strlen(text) : 0;

    ermes_diag_clear(d);
    if (k == ERMES_NOTIFY_PARTS) {
        ermes_diag_set(d, "name", "no template \"%.24s\" of kind notification", name ? name : "");
        return ERMES_EINVAL;
    }
    if (k == ERMES_NOTIFY_PART_MESSAGE)
        return ermes__notify_template_check(text, d);
    if (n == 0) {
        ermes_diag_set(d, "text", "line 1, column 1: the template is empty");
        d->line = 1;
        d->column = 1;
        return ERMES_EINVAL;
    }
    if (n > MAX_TEMPLATE) {
        ermes_diag_set(d, "text", "a template is at most %d bytes", MAX_TEMPLATE);
        return ERMES_ETOOBIG;
    }
    if (k == ERMES_NOTIFY_PART_EXPLANATION)
        return check_text(text, n, explanation_names,
                          sizeof(explanation_names) / sizeof(explanation_names[0]), d);
    /* ${file} is the attachment's, not the digest's. */
    return check_text(text, n, line_names,
                      k == ERMES_NOTIFY_PART_DIGEST_DAILY || k == ERMES_NOTIFY_PART_DIGEST_WEEKLY
                          ? NLINE_NAMES - 1
                          : NLINE_NAMES,
                      d);
}

int ermes__notify_template_valid_lang(const char *lang)
{
    if (!valid_lang(lang))
        return 0;
    for (const char *p = lang; *p; p++)
        if (*p < 'a' || *p > 'z')
            return 0;
    return 1;
}

const char *ermes__notify_builtin_lang(size_t k)
{
    return k < NBUILTINS ? builtins[k].lang : NULL;
}

int ermes__notify_template_default(const char *templates_dir, const char *lang, char **text,
                                   const char **source)
{
    const builtin_t *b;
    int rc;

    *text = NULL;
    *source = NULL;
    if ((rc = load_template(templates_dir, lang, text)))
        return rc;
    if (*text) {
        *source = "file";
        return 0;
    }
    if (!(b = builtin_for(lang)))
        return ERMES_ENOTFOUND;
    *source = "builtin";
    return (*text = ermes__strdup(b->text)) ? 0 : ERMES_ENOMEM;
}

/* ---- encoders ------------------------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 without line breaks. */
static int base64_raw(const unsigned char *p, size_t n, ermes__strbuf_t *out)
{
    char q[4];
    int rc = 0;

    for (size_t k = 0; !rc && k < n; k += 3) {
        uint32_t v = (uint32_t)p[k] << 16;
        if (k + 1 < n)
            v |= (uint32_t)p[k + 1] << 8;
        if (k + 2 < n)
            v |= p[k + 2];
        q[0] = b64[(v >> 18) & 63];
        q[1] = b64[(v >> 12) & 63];
        q[2] = k + 1 < n ? b64[(v >> 6) & 63] : '=';
        q[3] = k + 2 < n ? b64[v & 63] : '=';
        rc = ermes__strbuf_add(out, q, 4);
    }
    return rc;
}

int ermes__notify_base64(const void *p, size_t n, ermes__strbuf_t *out)
{
    const unsigned char *s = p;
    int rc = 0;

    /* RFC 2045 section 6.8: lines of at most 76 characters; 57 bytes make 76. */
    for (size_t k = 0; !rc && k < n; k += 57) {
        rc = base64_raw(s + k, n - k < 57 ? n - k : 57, out);
        if (!rc)
            rc = ermes__strbuf_add(out, "\r\n", 2);
    }
    return rc;
}

int ermes__notify_qp(const char *text, size_t n, ermes__strbuf_t *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    int rc = 0;

    /* RFC 2045 section 6.7: lines of at most 76 characters, soft breaks "=" CRLF; white
     * space before a line end is encoded; a "\n" in the text is a hard line break. A line
     * starting with "." is encoded too, so no SMTP server can take it for the end of data. */
    for (size_t k = 0; !rc && k < n; k++) {
        unsigned char ch = (unsigned char)text[k];
        char enc[3];
        size_t len;
        if (ch == '\n') {
            rc = ermes__strbuf_add(out, "\r\n", 2);
            col = 0;
            continue;
        }
        if (ch == '\r' && k + 1 < n && text[k + 1] == '\n')
            continue;
        int at_eol = k + 1 == n || text[k + 1] == '\n' || text[k + 1] == '\r';
        if ((ch >= 33 && ch <= 126 && ch != '=' && !(ch == '.' && col == 0)) ||
            ((ch == ' ' || ch == '\t') && !at_eol)) {
            enc[0] = (char)ch;
            len = 1;
        } else {
            enc[0] = '=';
            enc[1] = hex[ch >> 4];
            enc[2] = hex[ch & 15];
            len = 3;
        }
        /* Room for the character and a possible soft break "=" after it. */
        if (col + len > 75) {
            rc = ermes__strbuf_add(out, "=\r\n", 3);
            col = 0;
            if (!rc && enc[0] == '.' && len == 1) {
                enc[0] = '=';
                enc[1] = '2';
                enc[2] = 'E';
                len = 3;
            }
        }
        if (!rc)
            rc = ermes__strbuf_add(out, enc, len);
        col += len;
    }
    return rc;
}

int ermes__notify_header_word(const char *text, ermes__strbuf_t *out)
{
    size_t n = strlen(text), k = 0;
    int ascii = 1, rc = 0;

    /* A control character (a feed's ESC sequence in a subject) is encoded too, so the message
     * holds none raw: not for mail readers, nor for `ermes notify preview` on a terminal. */
    for (size_t j = 0; j < n; j++)
        if ((unsigned char)text[j] >= 0x7f || (unsigned char)text[j] < 0x20)
            ascii = 0;
    if (ascii && n < 900)
        return ermes__strbuf_add(out, text, n);
    /* RFC 2047: encoded words of at most 75 characters, folded onto continuation lines; a
     * word holds whole UTF-8 characters (45 bytes make 60 base64 characters). */
    while (!rc && k < n) {
        size_t take = n - k < 45 ? n - k : 45;
        while (take < n - k && take > 0 && ((unsigned char)text[k + take] & 0xC0) == 0x80)
            take--;
        if (take == 0)
            take = n - k < 45 ? n - k : 45;
        if (k)
            rc = ermes__strbuf_add(out, "\r\n ", 3);
        if (!rc)
            rc = ermes__strbuf_adds(out, "=?UTF-8?B?");
        if (!rc)
            rc = base64_raw((const unsigned char *)text + k, take, out);
        if (!rc)
            rc = ermes__strbuf_adds(out, "?=");
        k += take;
    }
    return rc;
}

int ermes__notify_address(const char *from, char *buf, size_t cap)
{
    const char *lt = from ? strrchr(from, '<') : NULL, *gt;
    const char *p = from;
    size_t n;

    if (!from)
        return ERMES_EINVAL;
    if (lt && (gt = strchr(lt, '>'))) {
        p = lt + 1;
        n = (size_t)(gt - p);
    } else {
        while (*p == ' ')
            p++;
        n = strlen(p);
        while (n && p[n - 1] == ' ')
            n--;
    }
    if (n == 0 || n >= cap || !memchr(p, '@', n))
        return ERMES_EINVAL;
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)p[k] <= ' ' || p[k] == '<' || p[k] == '>' || p[k] == ',' || p[k] == 0x7f)
            return ERMES_EINVAL;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return 0;
}

/* ---- the message --------------------------------------------------------------------------- */

/* RFC 5322 section 3.3 date, in UTC, with English names whatever the locale. */
static void rfc5322_date(int64_t ms, char *buf, size_t cap)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (!gmtime_r(&t, &tm))
        memset(&tm, 0, sizeof(tm));
    snprintf(buf, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Adds the To: header from the JSON array of addresses; ERMES_EINVAL when there is none. */
static int add_to(const char *recipients, ermes__strbuf_t *out)
{
    json_t *a = recipients ? json_loads(recipients, 0, NULL) : NULL, *v;
    char addr[320];
    size_t k, n = 0;
    int rc = ermes__strbuf_adds(out, "To: ");

    for (k = 0; k < json_array_size(a); k++) {
        v = json_array_get(a, k);
        if (rc || ermes__notify_address(json_string_value(v), addr, sizeof(addr)))
            continue;
        rc = ermes__strbuf_addf(out, "%s%s", n ? ",\r\n " : "", addr);
        n++;
    }
    json_decref(a);
    if (!rc && n == 0)
        rc = ERMES_EINVAL;
    return rc ? rc : ermes__strbuf_add(out, "\r\n", 2);
}

void ermes__notify_message_id(const char *reference, int64_t created_ms, const char *mail_from,
                              char *buf, size_t cap)
{
    char addr[320];
    const char *domain = "localhost";

    if (mail_from && ermes__notify_address(mail_from, addr, sizeof(addr)) == 0)
        domain = strchr(addr, '@') + 1;
    snprintf(buf, cap, "<%s.%lld@%s>", reference, (long long)created_ms, domain);
}

/* The multipart/mixed entity: its Content-Type header, a blank line, the text part and the
 * attachment. The whole message without OpenPGP, the part that is signed with it. */
static int mixed_entity(const ermes__notification_t *n, const char *csv, size_t csv_len,
                        ermes__strbuf_t *out)
{
    char boundary[64];
    int rc;

    /* The boundary cannot occur in the parts: "=_" is never produced by quoted-printable
     * (which writes "=" as "=3D") nor by base64. */
    snprintf(boundary, sizeof(boundary), "=_ermes_%s", n->reference);
    rc = ermes__strbuf_addf(out,
                            "Content-Type: multipart/mixed; boundary=\"%s\"\r\n"
                            "\r\n"
                            "This is a message in MIME format.\r\n"
                            "\r\n"
                            "--%s\r\n"
                            "Content-Type: text/plain; charset=utf-8\r\n"
                            "Content-Transfer-Encoding: quoted-printable\r\n"
                            "\r\n",
                            boundary, boundary);
    if (!rc)
        rc = ermes__notify_qp(n->body ? n->body : "", n->body ? strlen(n->body) : 0, out);
    if (!rc && out->len && out->data[out->len - 1] != '\n')
        rc = ermes__strbuf_add(out, "\r\n", 2);
    if (!rc && csv && n->attachment == ERMES_NOTIFY_ATTACH_XARF) {
        /* X-ARF: one document per event, each a part of its own (attach.c wrote one a line). */
        size_t at = 0, part = 0;
        while (!rc && at < csv_len) {
            const char *nl = memchr(csv + at, '\n', csv_len - at);
            size_t len = nl ? (size_t)(nl - (csv + at)) : csv_len - at;
            if (len) {
                part++;
                rc = ermes__strbuf_addf(out,
                                        "--%s\r\n"
                                        "Content-Type: application/json; charset=utf-8;"
                                        " name=\"%s-%zu.xarf.json\"\r\n"
                                        "Content-Transfer-Encoding: base64\r\n"
                                        "Content-Disposition: attachment;"
                                        " filename=\"%s-%zu.xarf.json\"\r\n"
                                        "\r\n",
                                        boundary, n->reference, part, n->reference, part);
                if (!rc)
                    rc = ermes__notify_base64(csv + at, len, out);
            }
            at += len + 1;
        }
    } else if (!rc && csv) {
        int json = n->attachment == ERMES_NOTIFY_ATTACH_JSON;
        rc = ermes__strbuf_addf(out,
                                "--%s\r\n"
                                "Content-Type: %s; charset=utf-8; name=\"%s.%s\"\r\n"
                                "Content-Transfer-Encoding: base64\r\n"
                                "Content-Disposition: attachment; filename=\"%s.%s\"\r\n"
                                "\r\n",
                                boundary, json ? "application/json" : "text/csv", n->reference,
                                json ? "json" : "csv", n->reference, json ? "json" : "csv");
        if (!rc)
            rc = ermes__notify_base64(csv, csv_len, out);
    }
    if (!rc)
        rc = ermes__strbuf_addf(out, "--%s--\r\n", boundary);
    return rc;
}

/* RFC 3156 section 5: multipart/signed around the entity, whose exact bytes (7 bit, CRLF line
 * ends: quoted-printable and base64 make sure of both) are what the detached signature
 * covers. The CRLF before the boundary that follows the entity belongs to that boundary. */
static int signed_entity(const ermes__notify_options_t *o, const ermes__notification_t *n,
                         const ermes__strbuf_t *entity, ermes__strbuf_t *out, char *err,
                         size_t errcap)
{
    char boundary[64], micalg[32];
    ermes__strbuf_t sig;
    int rc;

    snprintf(boundary, sizeof(boundary), "=_ermes_s_%s", n->reference);
    ermes__strbuf_init(&sig, 1024 * 1024);
    rc = ermes__notify_pgp_sign(o->pgp_home, o->pgp_key, entity->data, entity->len, &sig, micalg,
                                sizeof(micalg), err, errcap);
    if (!rc)
        rc = ermes__strbuf_addf(out,
                                "Content-Type: multipart/signed; boundary=\"%s\";\r\n"
                                " protocol=\"application/pgp-signature\"; micalg=%s\r\n"
                                "\r\n"
                                "This is an OpenPGP/MIME signed message (RFC 4880 and 3156).\r\n"
                                "\r\n"
                                "--%s\r\n",
                                boundary, micalg, boundary);
    if (!rc)
        rc = ermes__strbuf_add(out, entity->data, entity->len);
    if (!rc)
        rc =
            ermes__strbuf_addf(out,
                               "\r\n--%s\r\n"
                               "Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n"
                               "Content-Description: OpenPGP digital signature\r\n"
                               "Content-Disposition: attachment; filename=\"signature.asc\"\r\n"
                               "\r\n",
                               boundary);
    if (!rc)
        rc = ermes__strbuf_add(out, sig.data, sig.len);
    if (!rc && sig.len && sig.data[sig.len - 1] != '\n')
        rc = ermes__strbuf_add(out, "\r\n", 2);
    if (!rc)
        rc = ermes__strbuf_addf(out, "\r\n--%s--\r\n", boundary);
    ermes__strbuf_cleanup(&sig);
    return rc;
}

/* RFC 3156 section 4 (and 6.1 when signed first): multipart/encrypted around the entity,
 * encrypted to the recipients' keys. */
static int encrypted_entity(const ermes__notify_options_t *o, const ermes__notification_t *n,
                            const ermes__notify_crypt_t *crypt, const ermes__strbuf_t *entity,
                            ermes__strbuf_t *out, char *err, size_t errcap)
{
    char boundary[64];
    ermes__strbuf_t cipher;
    int rc;

    snprintf(boundary, sizeof(boundary), "=_ermes_e_%s", n->reference);
    ermes__strbuf_init(&cipher, out->max ? out->max : MAX_CSV);
    rc = ermes__notify_pgp_encrypt(o->pgp_contacts_home, (const char *const *)crypt->armours,
                                   crypt->nkeys, entity->data, entity->len, &cipher, err, errcap);
    if (!rc)
        rc = ermes__strbuf_addf(out,
                                "Content-Type: multipart/encrypted; boundary=\"%s\";\r\n"
                                " protocol=\"application/pgp-encrypted\"\r\n"
                                "\r\n"
                                "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156).\r\n"
                                "\r\n"
                                "--%s\r\n"
                                "Content-Type: application/pgp-encrypted\r\n"
                                "Content-Description: PGP/MIME version identification\r\n"
                                "\r\n"
                                "Version: 1\r\n"
                                "\r\n"
                                "--%s\r\n"
                                "Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
                                "Content-Description: OpenPGP encrypted message\r\n"
                                "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n"
                                "\r\n",
                                boundary, boundary, boundary);
    if (!rc)
        rc = ermes__strbuf_add(out, cipher.data, cipher.len);
    if (!rc && cipher.len && cipher.data[cipher.len - 1] != '\n')
        rc = ermes__strbuf_add(out, "\r\n", 2);
    if (!rc)
        rc = ermes__strbuf_addf(out, "\r\n--%s--\r\n", boundary);
    ermes__strbuf_cleanup(&cipher);
    return rc;
}

int ermes__notify_build_message(const ermes__notify_options_t *o, const ermes__notification_t *n,
                                const char *csv, size_t csv_len, ermes__strbuf_t *out, char *err,
                                size_t errcap)
{
    return ermes__notify_build_message_to(o, n, csv, csv_len, NULL, out, err, errcap);
}

int ermes__notify_build_message_to(const ermes__notify_options_t *o, const ermes__notification_t *n,
                                   const char *csv, size_t csv_len,
                                   const ermes__notify_crypt_t *crypt, ermes__strbuf_t *out,
                                   char *err, size_t errcap)
{
    const char *from = o->mail_from && *o->mail_from ? o->mail_from : "ermes@localhost";
    char date[64], addr[320], message_id[sizeof(n->message_id)];
    ermes__strbuf_t subject, entity;
    int rc;

    if (ermes__notify_address(from, addr, sizeof(addr)))
        return ERMES_EINVAL;
    /* RFC 5322 section 3.6.1: the time the message was complete, which is when the
     * notification was made; every attempt sends the same message. */
    rfc5322_date(n->created_at, date, sizeof(date));
    if (n->message_id[0])
        snprintf(message_id, sizeof(message_id), "%s", n->message_id);
    else
        ermes__notify_message_id(n->reference, n->created_at, from, message_id, sizeof(message_id));
    ermes__strbuf_init(&subject, MAX_TEXT);
    ermes__strbuf_init(&entity, out->max ? out->max : MAX_CSV);
    {
        ermes__strbuf_t flat;
        ermes__strbuf_init(&flat, MAX_TEXT);
        rc = ermes__strbuf_adds(&flat, n->subject ? n->subject : "");
        if (!rc) {
            flatten_line(&flat);
            rc = ermes__notify_header_word(flat.data, &subject);
        }
        ermes__strbuf_cleanup(&flat);
    }
    if (rc)
        goto out;
    {
        ermes__strbuf_t f;
        ermes__strbuf_init(&f, 4096);
        rc = ermes__strbuf_adds(&f, from);
        if (!rc)
            flatten_line(&f);
        if (!rc)
            rc = ermes__strbuf_addf(out, "Date: %s\r\nFrom: %s\r\n", date, f.data);
        ermes__strbuf_cleanup(&f);
    }
    if (!rc)
        rc = add_to(n->recipients, out);
    /* The Message-ID comes from the database: no line break may reach the header. */
    for (char *p = message_id; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            *p = '_';
    if (!rc)
        rc = ermes__strbuf_addf(out,
                                "Subject: %s\r\n"
                                "Message-ID: %s\r\n"
                                "MIME-Version: 1.0\r\n"
                                "X-ERMES-Reference: %s\r\n"
                                "Auto-Submitted: auto-generated\r\n",
                                subject.data, message_id, n->reference);
    if (!rc)
        rc = mixed_entity(n, csv, csv_len, &entity);
    if (!rc && crypt && crypt->encrypt) {
        /* Signed first, then encrypted (RFC 3156 section 6.1): the recipient checks the
         * signature of what it decrypted. */
        ermes__strbuf_t inner;
        ermes__strbuf_init(&inner, out->max ? out->max : MAX_CSV);
        if (o->pgp_key && *o->pgp_key)
            rc = signed_entity(o, n, &entity, &inner, err, errcap);
        else
            rc = ermes__strbuf_add(&inner, entity.data, entity.len);
        if (!rc)
            rc = encrypted_entity(o, n, crypt, &inner, out, err, errcap);
        ermes__strbuf_cleanup(&inner);
    } else if (!rc && o->pgp_key && *o->pgp_key)
        rc = signed_entity(o, n, &entity, out, err, errcap);
    else if (!rc)
        rc = ermes__strbuf_add(out, entity.data, entity.len);
out:
    ermes__strbuf_cleanup(&entity);
    ermes__strbuf_cleanup(&subject);
    return rc;
}

static int csv_cb(void *ctx, const ermes__event_row_t *e)
{
    return ermes__event_csv_line(e->data, e->data_len, e->id, ctx);
}

int ermes__notify_csv(ermes__store_t *st, int64_t id, ermes__strbuf_t *out)
{
    int rc, any = 0;

    /* A notification carries events, sightings (sightings.c) or asset warnings, one kind. */
    if ((rc = ermes__notify_sightings_csv(st, id, out, &any)) || any)
        return rc;
    /* Or the assets and CVEs of a vulnerability warning (vulns.c). */
    if ((rc = ermes__notify_vulns_csv(st, id, out, &any)) || any)
        return rc;
    ermes__strbuf_reset(out);
    rc = ermes__event_csv_header(out);
    return rc ? rc : ermes__store_notification_events(st, id, csv_cb, out);
}

int ermes__notify_preview(ermes__store_t *st, const ermes__notify_options_t *o, int64_t id,
                          ermes__strbuf_t *out, char *err, size_t errcap)
{
    ermes__notification_t n;
    ermes__strbuf_t csv;
    int64_t incident_id = 0;
    int rc, msg;

    if ((rc = ermes__store_notification_get(st, id, &n)))
        return rc;
    ermes__strbuf_init(&csv, MAX_CSV);
    /* A message written from an incident carries no events, so no attachment (send.c). */
    msg = ermes__incident_message_of(&n, &incident_id);
    rc = msg ? 0 : ermes__notify_attachment(st, o, &n, &csv);
    if (!rc)
        rc = ermes__notify_build_message(o, &n,
                                         msg        ? NULL
                                         : csv.data ? csv.data
                                                    : "",
                                         csv.len, out, err, errcap);
    ermes__strbuf_cleanup(&csv);
    ermes__notification_cleanup(&n);
    return rc;
}
