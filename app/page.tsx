import { Catalogue } from './Catalogue';

export default function Home() {
  return <Catalogue />;
}
