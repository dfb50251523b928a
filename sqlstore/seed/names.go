package seed

// The lists the sample draws names and words from.
var (
	firstNames = []string{"Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Ivan", "Jana",
		"Jane", "Jonas", "Karl", "Lara", "Leon", "Lina", "Lukas", "Maria", "Max", "Mia", "Noah", "Olivia",
		"Paul", "Sophie", "Tom", "Ute", "Victor", "Wanda", "Xaver", "Yara", "Zoe", "Ahmed", "Aylin", "Chen",
		"Daniel", "Elena", "Fatima", "George", "Hiro", "Ines", "James", "Kenji", "Laura", "Mateo", "Nadia",
		"Oscar", "Priya", "Quentin", "Rosa", "Samir", "Tanja", "Uma", "Vera", "William", "Xenia", "Yusuf",
		"Zofia", "Bob", "Ann", "Carlos", "Diana", "Erik", "Frida", "Gustav", "Helga", "Isabel", "Jakob",
		"Katrin", "Lorenzo", "Marta", "Nils", "Oliver", "Petra", "Ruth", "Stefan", "Theo", "Ulrich",
		"Valentina", "Wolfgang", "Ida", "Moritz", "Nora", "Emil", "Frieda", "Henry", "Leni", "Matteo"}
	lastNames = []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
		"Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Braun",
		"Zimmermann", "Krüger", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler", "Smith",
		"Johnson", "Brown", "Taylor", "Anderson", "Thomas", "Jackson", "White", "Harris", "Martin",
		"Garcia", "Martinez", "Robinson", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright",
		"Lopez", "Hill", "Scott", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Rossi",
		"Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Dubois", "Moreau", "Laurent", "Lefebvre",
		"Nowak", "Kowalski", "Wiśniewski", "Jansen", "de Vries", "van Dijk", "Bakker", "Nielsen", "Hansen",
		"Johansson", "Larsson", "Yilmaz", "Kaya", "Demir", "Tanaka", "Suzuki", "Kim", "Lee", "Park",
		"Nguyen", "Tran", "Singh", "Patel", "Kumar", "Doe", "Ample", "Okafor", "Silva", "Santos", "Costa"}
	companyPrefixes = []string{"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
		"Nordwind", "Alpen", "Rhein", "Elbe", "Baltic", "Atlas", "Orion", "Vega", "Polar", "Sonnen", "Blau",
		"Grün", "Eichen", "Linden", "Falken", "Adler", "Berg", "Tal", "Stern", "Phoenix", "Titan", "Apex",
		"Summit", "Pioneer", "Keystone", "Meridian", "Horizon", "Cobalt", "Granite", "Silver", "Golden",
		"Crystal", "Harbor", "Riverside", "Lakeside", "Northfield", "Westend", "Eastgate", "Southbank",
		"Metro", "Urban", "Prime"}
	companyNouns = []string{"Logistics", "Industries", "Foods", "Engineering", "Motors", "Pharma", "Textiles",
		"Electronics", "Systems", "Solutions", "Tools", "Plastics", "Chemicals", "Construction", "Energy",
		"Retail", "Medical", "Office Supplies", "Hospitality", "Packaging", "Paper", "Steel", "Furniture",
		"Print", "Labs", "Trading", "Facility Services", "Automotive", "Aviation", "Marine"}
	companySuffixes = []string{"GmbH", "AG", "Ltd", "Inc.", "LLC", "SE", "KG", "& Co. KG", "B.V.", "S.A."}
	mailDomains     = []string{"mail.test", "post.test", "example.test", "inbox.test", "web.test", "online.test"}
	cities          = []string{"Berlin", "Hamburg", "Munich", "Cologne", "Frankfurt", "Vienna", "Zurich",
		"Paris", "Lyon", "Milan", "Madrid", "Amsterdam", "Copenhagen", "Stockholm", "Warsaw", "Prague", "London"}
)
