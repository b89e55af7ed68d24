"""Demo events: ~40 Tunisian festivals, film days, concerts, heritage walks and esports nights,
with a few bookmarks and ticket orders made through the services."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from common.errors import Conflict
from common.progress import Progress
from common.seeding import SeedContext
from events.models import Bookmark, Event, TicketOrder
from events.services import bookmark_add, event_create, ticket_purchase
from gamers.models import Gamer

# (title, category, city/governorate, location, price TND, tickets, description)
DEMO_EVENTS: list[tuple[str, str, str, str, str, int, str]] = [
    ("Festival International de Carthage: opening night", "festival", "Tunis", "Roman Theatre of Carthage", "60.00", 7000,
     "The summer's biggest stage opens under the stars of the Roman theatre, with a headline concert of Tunisian and Arab music."),
    ("Festival International de Hammamet", "festival", "Nabeul", "Open-air theatre, Centre Culturel International de Hammamet", "35.00", 1000,
     "Theatre, jazz and world music in the gardens of Dar Sebastian, facing the sea."),
    ("Festival International de Musique Symphonique d'El Jem", "music", "Mahdia", "El Jem Amphitheatre", "40.00", 3000,
     "A symphony orchestra fills the third-largest Roman amphitheatre in the world with Beethoven and Mozart."),
    ("Tabarka Jazz Festival", "music", "Jendouba", "Basilique de Tabarka", "45.00", 800,
     "Four nights of jazz in the old basilica, between the pine forests and the Genoese fort of Tabarka."),
    ("Festival International du Sahara de Douz", "festival", "Kebili", "Place Hnich, Douz", "15.00", 5000,
     "Camel races, Mehari parades, Bedouin poetry and sloughi hunting at the gateway of the Sahara."),
    ("Journées Cinématographiques de Carthage (JCC)", "cinema", "Tunis", "Cité de la Culture, avenue Mohamed V", "7.00", 1500,
     "Africa's oldest film festival: competitions of Arab and African features, documentaries and shorts."),
    ("Journées Théâtrales de Carthage", "theatre", "Tunis", "Théâtre Municipal de Tunis", "15.00", 600,
     "Companies from Tunisia, the Arab world and Africa on the art nouveau stage of avenue Habib Bourguiba."),
    ("Journées Musicales de Carthage", "music", "Tunis", "Cité de la Culture, Théâtre de l'Opéra", "20.00", 1200,
     "New Tunisian and African music: showcases, competitions and late-night jam sessions."),
    ("Journées Chorégraphiques de Carthage", "art", "Tunis", "Théâtre de l'Opéra de Tunis", "20.00", 900,
     "Contemporary dance from both shores of the Mediterranean, with workshops for young dancers."),
    ("Tunis Esports Night: Valorant Showdown", "esports", "Tunis", "Gaming arena, Les Berges du Lac 2", "25.00", 400,
     "Eight Tunisian Valorant teams, one bracket, one night. Big screens, casters in Tounsi and French."),
    ("Sousse Esports Night: EA FC Cup", "esports", "Sousse", "Mall of Sousse, event hall", "20.00", 300,
     "A 64-player EA Sports FC knockout cup with a live-streamed final on the main stage."),
    ("Sousse LAN Party: League of Legends weekend", "esports", "Sousse", "Centre Culturel de Sousse", "30.00", 250,
     "Bring your rig: 48 hours of League of Legends, Rocket League side tournaments and retro corners."),
    ("Tunisia Esports Cup Finals", "esports", "Ben Arous", "Salle Omnisport de Radès", "35.00", 2500,
     "The national finals in Valorant, Counter-Strike 2 and EA FC, with prize money for the champions."),
    ("Sfax Retro Gaming Night", "esports", "Sfax", "Espace culturel Sfax El Jadida", "10.00", 200,
     "Arcade cabinets, Sega and Nintendo classics, and a Street Fighter II tournament for the old guard."),
    ("Festival International de Dougga", "heritage", "Béja", "Théâtre antique de Dougga", "25.00", 1500,
     "Concerts in the best-preserved Roman town of North Africa, a UNESCO World Heritage site."),
    ("Festival International de Bizerte", "festival", "Bizerte", "Fort d'Espagne, Bizerte", "30.00", 2000,
     "Summer concerts on the ramparts of the Spanish fort overlooking the old port."),
    ("Festival International des Oasis de Tozeur", "festival", "Tozeur", "Oasis de Tozeur", "10.00", 3000,
     "Folk troupes, horse shows and date-palm craft in the oasis of the Djerid."),
    ("Festival des Ksour Sahariens", "heritage", "Tataouine", "Ksar Ouled Soltane", "10.00", 1500,
     "Granary castles come alive with wedding re-enactments, Amazigh songs and desert poetry."),
    ("Festival de la Médina de Tunis", "music", "Tunis", "Club Culturel Tahar Haddad, Médina de Tunis", "20.00", 300,
     "Ramadan nights of malouf, Sufi chant and stambeli in the palaces of the medina."),
    ("Aoussou Carnival", "festival", "Sousse", "Corniche de Boujaâfar, Sousse", "0.00", 10000,
     "Sousse's summer carnival: floats, brass bands and street theatre along the corniche. Free entry."),
    ("Festival International de Sfax", "festival", "Sfax", "Théâtre de plein air de Sfax", "25.00", 3000,
     "Tunisian pop, mezoued and guest stars from across the Arab world all summer long."),
    ("Festival du Malouf de Testour", "music", "Béja", "Place de la Grande Mosquée, Testour", "10.00", 800,
     "The Andalusian town celebrates malouf, the classical music its Moorish founders brought from Spain."),
    ("Sicca Jazz", "music", "Kef", "Kasbah du Kef", "30.00", 700,
     "Jazz festival on the heights of Le Kef, with guests from Europe, Africa and the Maghreb."),
    ("Festival de l'Épervier d'El Haouaria", "heritage", "Nabeul", "El Haouaria, Cap Bon", "5.00", 2000,
     "Falconers of the Cap Bon show the sparrowhawks they trained this spring, a tradition of centuries."),
    ("Festival International des Dattes de Kébili", "heritage", "Kebili", "Kébili city centre", "0.00", 5000,
     "Deglet Nour harvest festival: markets, folk music and camel rides. Free entry."),
    ("Dream City: art in the medina", "art", "Tunis", "Médina de Tunis", "15.00", 1200,
     "Performances, installations and walks that turn the alleys of the medina into a stage."),
    ("Interference: light art project", "art", "Tunis", "Médina de Tunis", "0.00", 4000,
     "International artists light up the medina's houses, souks and rooftops for three nights."),
    ("FIFAK: Festival International du Film Amateur de Kélibia", "cinema", "Nabeul", "Maison de la Culture de Kélibia", "5.00", 600,
     "Since 1964, the festival of amateur and independent film, screened by the sea under the fort."),
    ("Gabès Cinéma Fen", "cinema", "Gabès", "Théâtre municipal de Gabès", "8.00", 500,
     "Arab cinema and video art in the only seaside oasis of the Mediterranean."),
    ("Manarat Mediterranean Film Festival", "cinema", "Tunis", "Plage de La Marsa, open-air screen", "0.00", 2000,
     "Mediterranean films screened on the beach at sunset. Free, bring a towel."),
    ("Marathon COMAR de Tunis-Carthage", "sport", "Tunis", "Avenue Habib Bourguiba, Tunis", "40.00", 6000,
     "42 km from downtown Tunis to the ruins of Carthage; half marathon and 10 km runs too."),
    ("Ultra Mirage El Djerid", "sport", "Tozeur", "Chott el Djerid, Tozeur", "250.00", 300,
     "A 100 km ultra-trail across the desert, past the Star Wars sets of Mos Espa."),
    ("Djerba Ulysse Festival", "festival", "Medenine", "Houmt Souk, Djerba", "15.00", 3000,
     "The island of the lotus-eaters celebrates its legend with parades, music and Djerbian cuisine."),
    ("Festival de la Karaka de La Goulette", "heritage", "Tunis", "Fort de la Karaka, La Goulette", "10.00", 1500,
     "Music and memory in the Ottoman fort of La Goulette, the old port of many communities."),
    ("Soirée café-théâtre à Sidi Bou Saïd", "theatre", "Tunis", "Café des Délices, Sidi Bou Saïd", "18.00", 80,
     "A one-man comedy show in Tounsi on the terrace of the café, with the gulf of Tunis behind the stage."),
    ("Kairouan heritage walk: the Great Mosque and the medina", "heritage", "Kairouan", "Grande Mosquée de Kairouan", "12.00", 60,
     "A guided walk from the Great Mosque of Uqba to the Aghlabid basins, with makroudh tasting."),
    ("Ribat de Monastir: sound and light", "heritage", "Monastir", "Ribat de Monastir", "15.00", 500,
     "The history of the coast told in sound and light on the walls of the 8th-century ribat."),
    ("Derby: Espérance de Tunis vs Club Africain", "sport", "Ben Arous", "Stade Olympique Hammadi Agrebi, Radès", "20.00", 20000,
     "The capital's derby, the hottest night of the Tunisian Ligue 1 season."),
    ("Tunisia Game Jam: 48 hours", "esports", "Ariana", "Technopôle El Ghazala", "0.00", 150,
     "Make a game in 48 hours with strangers who become teammates. Mentors, pizza, demo night."),
    ("Fête des Roses de l'Ariana", "festival", "Ariana", "Parc de l'Ariana", "0.00", 5000,
     "Ariana's rose and rosewater festival: flower market, distillation demos and concerts. Free entry."),
    ("Foire de la poterie de Nabeul", "art", "Nabeul", "Avenue Habib Thameur, Nabeul", "0.00", 3000,
     "Potters of Nabeul and Guellala show glazed tiles, jars and the craft of the wheel."),
    ("Festival du Printemps de Sbeïtla", "heritage", "Kasserine", "Site archéologique de Sufetula, Sbeïtla", "10.00", 2000,
     "Spring concerts and folk arts among the three temples of the Roman forum of Sufetula."),
    ("Tunis Comic & Game Con", "other", "Tunis", "Parc des Expositions du Kram", "15.00", 4000,
     "Cosplay parade, indie game showcase, retro arcade and comics artists from both sides of the Mediterranean."),
    ("Festival International de Gafsa", "music", "Gafsa", "Piscines romaines de Gafsa", "15.00", 1500,
     "Concerts by the Roman pools of Gafsa, with Tunisian rap and mezoued nights."),
]  # fmt: skip

DEMO_TITLES = [row[0] for row in DEMO_EVENTS]


def _slug(title: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")[:40]


def _image_url(title: str) -> str:
    return f"https://picsum.photos/seed/gc-{_slug(title)}/800/450"


def _drop_previous_demo() -> None:
    """After `seed_demo --force` the old demo events stay without organizer: remove them first."""
    leftovers = Event.objects.filter(title__in=DEMO_TITLES, organizer__isnull=True)
    TicketOrder.objects.filter(Q(event__in=leftovers)).delete()
    leftovers.delete()


def seed(ctx: SeedContext) -> None:
    _drop_previous_demo()
    people = list(Gamer.objects.order_by("id")[:200])
    if not people:
        ctx.say("events: no accounts to organise events, skipped")
        return
    organizers = people[: min(6, len(people))]
    now = timezone.now()
    events: list[Event] = []
    bar = Progress(len(DEMO_EVENTS), "events", ctx.stdout)
    for title, category, city, location, price, tickets, description in DEMO_EVENTS:
        day = now + timedelta(days=ctx.rng.randint(2, 300))
        starts_at = datetime(day.year, day.month, day.day, ctx.rng.choice([9, 15, 18, 19, 20]), 0, tzinfo=now.tzinfo)
        events.append(
            event_create(
                organizer=ctx.rng.choice(organizers),
                title=title,
                description=description,
                starts_at=starts_at,
                location=location,
                city=city,
                category=category,
                image_url=_image_url(title),
                tickets_total=tickets,
                ticket_price=Decimal(price),
            )
        )
        bar.advance()
    bar.finish()
    for person in people[: min(len(people), 40)]:
        for event in ctx.rng.sample(events, k=min(4, len(events))):
            bookmark_add(event_id=event.pk, user=person)
        for event in ctx.rng.sample(events, k=2):
            try:
                ticket_purchase(event_id=event.pk, user=person, quantity=ctx.rng.randint(1, 4))
            except Conflict:
                continue  # a small event sold out: fine for demo data
    ctx.say(
        f"events: {len(events)} events, {Bookmark.objects.count()} bookmarks, {TicketOrder.objects.count()} ticket orders"
    )
